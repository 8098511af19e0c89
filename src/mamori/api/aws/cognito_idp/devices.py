"""Device operations: ConfirmDevice, and listing, reading, remembering and forgetting devices."""

from __future__ import annotations

from mamori.api.aws.operations import Call, Params, Result, operation
from mamori.domain.auth.device import Device, DeviceStatus
from mamori.domain.errors import InvalidParameterException
from mamori.services.ports import Page


def device_out(device: Device) -> Result:
    # Cognito: device_status is "valid" for every listed device; whether it is remembered is
    # the developer attribute dev:device_remembered_status.
    attributes = [{"Name": "device_status", "Value": "valid"}]
    if device.name is not None:
        attributes.append({"Name": "device_name", "Value": device.name})
    attributes.append({"Name": "dev:device_remembered_status", "Value": device.status.value})
    if device.last_ip:
        attributes.append({"Name": "last_ip_used", "Value": device.last_ip})
    out: Result = {
        "DeviceKey": device.key,
        "DeviceAttributes": attributes,
        "DeviceCreateDate": device.created.timestamp(),
        "DeviceLastModifiedDate": device.modified.timestamp(),
    }
    if device.last_authenticated is not None:
        out["DeviceLastAuthenticatedDate"] = device.last_authenticated.timestamp()
    return out


def _page_out(page: Page[Device]) -> Result:
    out: Result = {"Devices": [device_out(d) for d in page.items]}
    if page.next_token:
        out["PaginationToken"] = page.next_token
    return out


def _status(p: Params) -> DeviceStatus | None:
    value = p.get("DeviceRememberedStatus")
    return DeviceStatus(value) if value is not None else None


def _access_token(p: Params) -> str:
    # The model leaves AccessToken optional on GetDevice and ForgetDevice; it is what names
    # the user, so it is required all the same.
    token = p.get("AccessToken")
    if not token:
        raise InvalidParameterException("Missing required parameter AccessToken")
    return str(token)


@operation("ConfirmDevice")
async def confirm_device(call: Call, p: Params) -> Result:
    config = p.get("DeviceSecretVerifierConfig") or {}
    necessary = await call.services.devices.confirm_device(
        p["AccessToken"],
        p["DeviceKey"],
        config.get("Salt"),
        config.get("PasswordVerifier"),
        p.get("DeviceName"),
        call.source_ip,
    )
    return {"UserConfirmationNecessary": necessary}


@operation("ListDevices")
async def list_devices(call: Call, p: Params) -> Result:
    page = await call.services.devices.list_devices(
        p["AccessToken"], p.get("Limit", 0), p.get("PaginationToken")
    )
    return _page_out(page)


@operation("AdminListDevices")
async def admin_list_devices(call: Call, p: Params) -> Result:
    page = await call.services.devices.admin_list_devices(
        p["UserPoolId"], p["Username"], p.get("Limit", 0), p.get("PaginationToken")
    )
    return _page_out(page)


@operation("GetDevice")
async def get_device(call: Call, p: Params) -> Result:
    device = await call.services.devices.get_device(_access_token(p), p["DeviceKey"])
    return {"Device": device_out(device)}


@operation("AdminGetDevice")
async def admin_get_device(call: Call, p: Params) -> Result:
    device = await call.services.devices.admin_get_device(
        p["UserPoolId"], p["Username"], p["DeviceKey"]
    )
    return {"Device": device_out(device)}


@operation("UpdateDeviceStatus")
async def update_device_status(call: Call, p: Params) -> Result:
    await call.services.devices.update_device_status(p["AccessToken"], p["DeviceKey"], _status(p))
    return {}


@operation("AdminUpdateDeviceStatus")
async def admin_update_device_status(call: Call, p: Params) -> Result:
    await call.services.devices.admin_update_device_status(
        p["UserPoolId"], p["Username"], p["DeviceKey"], _status(p)
    )
    return {}


@operation("ForgetDevice")
async def forget_device(call: Call, p: Params) -> Result:
    await call.services.devices.forget_device(_access_token(p), p["DeviceKey"])
    return {}


@operation("AdminForgetDevice")
async def admin_forget_device(call: Call, p: Params) -> Result:
    await call.services.devices.admin_forget_device(p["UserPoolId"], p["Username"], p["DeviceKey"])
    return {}
