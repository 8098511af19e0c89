"""AWS error classes: one class per error code, rendered only at the wire (api/errors.py), and
the reason threat protection gives a refused sign-in (BlockReason), which is never rendered."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar


class ServiceError(Exception):
    """An error AWS clients understand: `code` is the `__type`, `status` the HTTP status."""

    status: ClassVar[int] = 400
    default_message: ClassVar[str] = ""

    def __init__(self, message: str | None = None) -> None:
        self.message = message if message is not None else self.default_message
        super().__init__(self.message)

    @property
    def code(self) -> str:
        return type(self).__name__


# --- errors every AWS JSON service shares (not in the Cognito model, sent by AWS's front door)
class SerializationException(ServiceError):
    pass


class UnknownOperationException(ServiceError):
    default_message = "The requested operation is not recognized."


class MissingAuthenticationTokenException(ServiceError):
    status = 403
    default_message = "Missing Authentication Token"


class IncompleteSignatureException(ServiceError):
    pass


class InvalidSignatureException(ServiceError):
    pass


class UnrecognizedClientException(ServiceError):
    default_message = "The security token included in the request is invalid."


class ValidationException(ServiceError):
    """cognito-identity's answer to a request that breaks its model (not in the model itself)."""


class RequestEntityTooLargeException(ServiceError):
    status = 413
    default_message = "Request body exceeds the maximum size."


class RequestTimeoutException(ServiceError):
    """The body did not arrive in time; the SDKs retry it as a transient error."""

    default_message = "The request body was not received in time."


# --- Cognito user pools (names from botocore's cognito-idp model)
class InvalidParameterException(ServiceError):
    pass


class BlockReason(StrEnum):
    """Why threat protection refused a sign-in or a password (NotAuthorizedException's and
    InvalidPasswordException's `reason`). Cognito answers every such refusal with one message,
    so this never reaches the wire: it lets the hosted pages say what the user can do and the
    auth-event log record the refusal."""

    COMPROMISED_CREDENTIALS = "compromised-credentials"  # the password is on a breached list
    RISK = "risk"  # the level's BLOCK, MFA_REQUIRED without MFA, or a blocked address range


class NotAuthorizedException(ServiceError):
    def __init__(self, message: str | None = None, *, reason: BlockReason | None = None) -> None:
        """`reason`: set when threat protection refused the sign-in (None otherwise)."""
        super().__init__(message)
        self.reason = reason


class ResourceNotFoundException(ServiceError):
    pass


class UserNotFoundException(ServiceError):
    default_message = "User does not exist."


class TooManyRequestsException(ServiceError):
    pass


class LimitExceededException(ServiceError):
    pass


class InternalErrorException(ServiceError):
    status = 500
    default_message = "Internal server error."


class UsernameExistsException(ServiceError):
    default_message = "User already exists"


class AliasExistsException(ServiceError):
    pass


class InvalidPasswordException(ServiceError):
    def __init__(self, message: str | None = None, *, reason: BlockReason | None = None) -> None:
        """`reason`: COMPROMISED_CREDENTIALS when threat protection refused a breached password
        (None for the pool's policy), so the caller can record what was found."""
        super().__init__(message)
        self.reason = reason


class CodeMismatchException(ServiceError):
    default_message = "Invalid verification code provided, please try again."


class ExpiredCodeException(ServiceError):
    default_message = "Invalid code provided, please request a code again."


class CodeDeliveryFailureException(ServiceError):
    pass


class UserNotConfirmedException(ServiceError):
    default_message = "User is not confirmed."


class PasswordResetRequiredException(ServiceError):
    default_message = "Password reset required for the user"


class UnsupportedUserStateException(ServiceError):
    pass


class GroupExistsException(ServiceError):
    pass


class InvalidUserPoolConfigurationException(ServiceError):
    pass


class RefreshTokenReuseException(ServiceError):
    pass


class UnsupportedTokenTypeException(ServiceError):
    pass


class UnauthorizedException(ServiceError):
    pass


class UnsupportedOperationException(ServiceError):
    pass


class UserPoolTaggingException(ServiceError):
    pass


class ConcurrentModificationException(ServiceError):
    pass


class TooManyFailedAttemptsException(ServiceError):
    pass


class OperationNotEnabledException(ServiceError):
    pass


class ForbiddenException(ServiceError):
    pass


class MFAMethodNotFoundException(ServiceError):
    pass


class SoftwareTokenMFANotFoundException(ServiceError):
    pass


class EnableSoftwareTokenMFAException(ServiceError):
    pass


class UserLambdaValidationException(ServiceError):
    """A trigger's function failed: "<Trigger> failed with error <its message>."."""


class InvalidLambdaResponseException(ServiceError):
    """A trigger's function answered something that is not its event."""

    default_message = "Unrecognizable lambda output"


class UnexpectedLambdaException(ServiceError):
    """A trigger's function could not be called, or did not answer in time."""


class PreconditionNotMetException(ServiceError):
    pass


class DeviceKeyExistsException(ServiceError):
    pass


# --- Cognito identity pools (names from botocore's cognito-identity model)
class ResourceConflictException(ServiceError):
    pass


class InvalidIdentityPoolConfigurationException(ServiceError):
    default_message = "Invalid identity pool configuration. Check assigned IAM roles for this pool."


class ExternalServiceException(ServiceError):
    pass


class DeveloperUserAlreadyRegisteredException(ServiceError):
    pass


class ScopeDoesNotExistException(ServiceError):
    pass


class ManagedLoginBrandingExistsException(ServiceError):
    pass


class DuplicateProviderException(ServiceError):
    default_message = "A provider with that name or identifier already exists in this pool."


class UnsupportedIdentityProviderException(ServiceError):
    pass


# Errors AWS's front door sends for any JSON service; the compatibility test allows these.
COMMON_ERRORS: frozenset[str] = frozenset(
    {
        "SerializationException",
        "UnknownOperationException",
        "MissingAuthenticationTokenException",
        "IncompleteSignatureException",
        "InvalidSignatureException",
        "UnrecognizedClientException",
        "RequestEntityTooLargeException",
        "RequestTimeoutException",
        "ValidationException",
    }
)


class UserPoolAddOnNotEnabledException(ServiceError):
    pass
