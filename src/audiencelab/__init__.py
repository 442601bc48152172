"""audiencelab: the Python toolkit for the AudienceLab audience API.

>>> from audiencelab import AudienceLab
>>> client = AudienceLab()  # reads AUDIENCELAB_API_KEY
>>> client.audiences.create(name="NYC engineers", filters={"city": ["New York"]}).audience_id
"""

from typing import TYPE_CHECKING, Any

from audiencelab._config import (
    API_KEY_ENV,
    BASE_URL_ENV,
    DEFAULT_BASE_URL,
    DEFAULT_MAX_RETRIES,
    is_loopback_host,
)
from audiencelab._exceptions import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AudienceLabError,
    AudienceNotReadyError,
    AudienceTooSmallError,
    AuthenticationError,
    BadRequestError,
    CallMethod,
    ConfigurationError,
    ConflictError,
    EnrichmentJobFailedError,
    FilterValidationError,
    FilterValueWarning,
    InputProblem,
    InputValidationError,
    InternalServerError,
    NotFoundError,
    PassArgument,
    PermissionDeniedError,
    RateLimitError,
    Remedy,
    UnprocessableEntityError,
    WaitTimeoutError,
    WebhookError,
    WebhookPayloadError,
    WebhookSignatureError,
)
from audiencelab._logging import EVENT_ATTRIBUTE
from audiencelab._retry import RetryPolicy
from audiencelab._version import __version__

if TYPE_CHECKING:
    from audiencelab import operations
    from audiencelab._async.client import AsyncAudienceLab
    from audiencelab._create_many import CreateResult
    from audiencelab._doctor import DoctorReport
    from audiencelab._download import DownloadSummary
    from audiencelab._export import ExportOptions, ExportProgress, ExportStateError, ExportSummary
    from audiencelab._filters import (
        AgeRange,
        Attributes,
        AudienceFilters,
        BusinessProfile,
        NumberRange,
        Profile,
    )
    from audiencelab._http import DEFAULT_TIMEOUT
    from audiencelab._models import (
        AttributeValues,
        Audience,
        AudienceCreated,
        AudienceDeleted,
        AudiencePreview,
        AudienceReady,
        CustomAudienceCreated,
        EnrichmentJob,
        EnrichmentJobCreated,
        EnrichResult,
        EventsPage,
        Page,
        Pixel,
        PixelCreated,
        PixelEvent,
        Record,
        RecordsPage,
        SegmentOption,
        SegmentPage,
    )
    from audiencelab._sync.client import AudienceLab

# The clients, models and filters are loaded on first use (PEP 562), so that a program pays for
# pydantic models and the export machinery only when it uses them.
_LAZY = {
    "AudienceLab": "audiencelab._sync.client",
    "AsyncAudienceLab": "audiencelab._async.client",
    "CreateResult": "audiencelab._create_many",
    "DownloadSummary": "audiencelab._download",
    "DoctorReport": "audiencelab._doctor",
    "DEFAULT_TIMEOUT": "audiencelab._http",
    "operations": "audiencelab.operations",
    **dict.fromkeys(
        ("ExportOptions", "ExportProgress", "ExportStateError", "ExportSummary"),
        "audiencelab._export",
    ),
    **dict.fromkeys(
        ("AgeRange", "Attributes", "AudienceFilters", "BusinessProfile", "NumberRange", "Profile"),
        "audiencelab._filters",
    ),
    **dict.fromkeys(
        (
            "AttributeValues", "Audience", "AudienceCreated", "AudienceDeleted", "AudiencePreview",
            "AudienceReady",
    "AudienceTooSmallError", "CustomAudienceCreated", "EnrichmentJob", "EnrichmentJobCreated",
            "EnrichResult", "EventsPage", "Page", "Pixel", "PixelCreated", "PixelEvent", "Record",
            "RecordsPage", "SegmentOption", "SegmentPage",
        ),
        "audiencelab._models",
    ),
}  # fmt: skip


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'audiencelab' has no attribute {name!r}")
    import importlib

    module = importlib.import_module(module_name)
    value = module if name == "operations" else getattr(module, name)
    globals()[name] = value  # the next look-up is a plain one
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "API_KEY_ENV",
    "BASE_URL_ENV",
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "EVENT_ATTRIBUTE",
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AgeRange",
    "AsyncAudienceLab",
    "AttributeValues",
    "Attributes",
    "Audience",
    "AudienceCreated",
    "AudienceDeleted",
    "AudienceFilters",
    "AudienceLab",
    "AudienceLabError",
    "AudienceNotReadyError",
    "AudiencePreview",
    "AudienceReady",
    "AudienceTooSmallError",
    "AuthenticationError",
    "BadRequestError",
    "BusinessProfile",
    "CallMethod",
    "ConfigurationError",
    "ConflictError",
    "CreateResult",
    "CustomAudienceCreated",
    "DoctorReport",
    "DownloadSummary",
    "EnrichResult",
    "EnrichmentJob",
    "EnrichmentJobCreated",
    "EnrichmentJobFailedError",
    "EventsPage",
    "ExportOptions",
    "ExportProgress",
    "ExportStateError",
    "ExportSummary",
    "FilterValidationError",
    "FilterValueWarning",
    "InputProblem",
    "InputValidationError",
    "InternalServerError",
    "NotFoundError",
    "NumberRange",
    "Page",
    "PassArgument",
    "PermissionDeniedError",
    "Pixel",
    "PixelCreated",
    "PixelEvent",
    "Profile",
    "RateLimitError",
    "Record",
    "RecordsPage",
    "Remedy",
    "RetryPolicy",
    "SegmentOption",
    "SegmentPage",
    "UnprocessableEntityError",
    "WaitTimeoutError",
    "WebhookError",
    "WebhookPayloadError",
    "WebhookSignatureError",
    "__version__",
    "is_loopback_host",
    "operations",
]
