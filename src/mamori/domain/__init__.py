"""Pure domain model: ids, errors, entities and rules. No I/O."""
