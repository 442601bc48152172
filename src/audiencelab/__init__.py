"""audiencelab: the Python toolkit for the AudienceLab audience API.

>>> from audiencelab import AudienceLab
>>> client = AudienceLab()  # reads AUDIENCELAB_API_KEY
>>> client.audiences.create(name="NYC engineers", filters={"city": ["New York"]}).audience_id
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # for type checkers: the same names as _PUBLIC (a test checks)
    from audiencelab import operations as operations
    from audiencelab._async.client import AsyncAudienceLab as AsyncAudienceLab
    from audiencelab._config import API_KEY_ENV as API_KEY_ENV
    from audiencelab._config import BASE_URL_ENV as BASE_URL_ENV
    from audiencelab._config import DEFAULT_BASE_URL as DEFAULT_BASE_URL
    from audiencelab._config import DEFAULT_MAX_RETRIES as DEFAULT_MAX_RETRIES
    from audiencelab._config import PROFILE_ENV as PROFILE_ENV
    from audiencelab._config import ConfigProfile as ConfigProfile
    from audiencelab._config import config_file_path as config_file_path
    from audiencelab._config import is_loopback_host as is_loopback_host
    from audiencelab._config import load_profile as load_profile
    from audiencelab._create_many import CreateResult as CreateResult
    from audiencelab._doctor import DoctorReport as DoctorReport
    from audiencelab._download import DownloadSummary as DownloadSummary
    from audiencelab._exceptions import APIConnectionError as APIConnectionError
    from audiencelab._exceptions import APIError as APIError
    from audiencelab._exceptions import APIResponseValidationError as APIResponseValidationError
    from audiencelab._exceptions import APIStatusError as APIStatusError
    from audiencelab._exceptions import APITimeoutError as APITimeoutError
    from audiencelab._exceptions import AudienceLabError as AudienceLabError
    from audiencelab._exceptions import AudienceNotReadyError as AudienceNotReadyError
    from audiencelab._exceptions import AudienceTooSmallError as AudienceTooSmallError
    from audiencelab._exceptions import AuthenticationError as AuthenticationError
    from audiencelab._exceptions import BadRequestError as BadRequestError
    from audiencelab._exceptions import CallMethod as CallMethod
    from audiencelab._exceptions import ConfigurationError as ConfigurationError
    from audiencelab._exceptions import ConflictError as ConflictError
    from audiencelab._exceptions import EnrichmentJobFailedError as EnrichmentJobFailedError
    from audiencelab._exceptions import FilterValidationError as FilterValidationError
    from audiencelab._exceptions import FilterValueWarning as FilterValueWarning
    from audiencelab._exceptions import InputProblem as InputProblem
    from audiencelab._exceptions import InputValidationError as InputValidationError
    from audiencelab._exceptions import InternalServerError as InternalServerError
    from audiencelab._exceptions import NotFoundError as NotFoundError
    from audiencelab._exceptions import PassArgument as PassArgument
    from audiencelab._exceptions import PermissionDeniedError as PermissionDeniedError
    from audiencelab._exceptions import RateLimitError as RateLimitError
    from audiencelab._exceptions import Remedy as Remedy
    from audiencelab._exceptions import UnprocessableEntityError as UnprocessableEntityError
    from audiencelab._exceptions import WaitTimeoutError as WaitTimeoutError
    from audiencelab._exceptions import WebhookError as WebhookError
    from audiencelab._exceptions import WebhookPayloadError as WebhookPayloadError
    from audiencelab._exceptions import WebhookSignatureError as WebhookSignatureError
    from audiencelab._export import ExportOptions as ExportOptions
    from audiencelab._export import ExportProgress as ExportProgress
    from audiencelab._export import ExportStateError as ExportStateError
    from audiencelab._export import ExportSummary as ExportSummary
    from audiencelab._filters import AgeRange as AgeRange
    from audiencelab._filters import Attributes as Attributes
    from audiencelab._filters import AudienceFilters as AudienceFilters
    from audiencelab._filters import BusinessProfile as BusinessProfile
    from audiencelab._filters import NumberRange as NumberRange
    from audiencelab._filters import Profile as Profile
    from audiencelab._http import DEFAULT_TIMEOUT as DEFAULT_TIMEOUT
    from audiencelab._logging import EVENT_ATTRIBUTE as EVENT_ATTRIBUTE
    from audiencelab._models import AttributeValues as AttributeValues
    from audiencelab._models import Audience as Audience
    from audiencelab._models import AudienceCreated as AudienceCreated
    from audiencelab._models import AudienceDeleted as AudienceDeleted
    from audiencelab._models import AudiencePreview as AudiencePreview
    from audiencelab._models import AudienceReady as AudienceReady
    from audiencelab._models import CustomAudienceCreated as CustomAudienceCreated
    from audiencelab._models import EnrichmentJob as EnrichmentJob
    from audiencelab._models import EnrichmentJobCreated as EnrichmentJobCreated
    from audiencelab._models import EnrichResult as EnrichResult
    from audiencelab._models import EventsPage as EventsPage
    from audiencelab._models import Page as Page
    from audiencelab._models import Pixel as Pixel
    from audiencelab._models import PixelCreated as PixelCreated
    from audiencelab._models import PixelEvent as PixelEvent
    from audiencelab._models import Record as Record
    from audiencelab._models import RecordsPage as RecordsPage
    from audiencelab._models import SegmentOption as SegmentOption
    from audiencelab._models import SegmentPage as SegmentPage
    from audiencelab._retry import RetryPolicy as RetryPolicy
    from audiencelab._sync.client import AudienceLab as AudienceLab
    from audiencelab._version import __version__ as __version__

# The public names, each with the module that defines it: the one list. ``__all__``, ``dir()``,
# the names loaded at import and the lazy loader all come from it. The clients, models, filters
# and the export machinery are loaded on first use (PEP 562), so that a program pays for pydantic
# models and the runners only when it uses them; the errors and settings are loaded at once.
_PUBLIC: dict[str, str] = {
    **dict.fromkeys(
        (
            "API_KEY_ENV",
            "BASE_URL_ENV",
            "DEFAULT_BASE_URL",
            "DEFAULT_MAX_RETRIES",
            "PROFILE_ENV",
            "ConfigProfile",
            "config_file_path",
            "is_loopback_host",
            "load_profile",
        ),
        "audiencelab._config",
    ),
    **dict.fromkeys(
        (
            "APIConnectionError",
            "APIError",
            "APIResponseValidationError",
            "APIStatusError",
            "APITimeoutError",
            "AudienceLabError",
            "AudienceNotReadyError",
            "AudienceTooSmallError",
            "AuthenticationError",
            "BadRequestError",
            "CallMethod",
            "ConfigurationError",
            "ConflictError",
            "EnrichmentJobFailedError",
            "FilterValidationError",
            "FilterValueWarning",
            "InputProblem",
            "InputValidationError",
            "InternalServerError",
            "NotFoundError",
            "PassArgument",
            "PermissionDeniedError",
            "RateLimitError",
            "Remedy",
            "UnprocessableEntityError",
            "WaitTimeoutError",
            "WebhookError",
            "WebhookPayloadError",
            "WebhookSignatureError",
        ),
        "audiencelab._exceptions",
    ),
    **dict.fromkeys(("EVENT_ATTRIBUTE",), "audiencelab._logging"),
    **dict.fromkeys(("RetryPolicy",), "audiencelab._retry"),
    **dict.fromkeys(("__version__",), "audiencelab._version"),
    **dict.fromkeys(("AudienceLab",), "audiencelab._sync.client"),
    **dict.fromkeys(("AsyncAudienceLab",), "audiencelab._async.client"),
    **dict.fromkeys(("CreateResult",), "audiencelab._create_many"),
    **dict.fromkeys(("DoctorReport",), "audiencelab._doctor"),
    **dict.fromkeys(("DownloadSummary",), "audiencelab._download"),
    **dict.fromkeys(
        ("ExportOptions", "ExportProgress", "ExportStateError", "ExportSummary"),
        "audiencelab._export",
    ),
    **dict.fromkeys(
        ("AgeRange", "Attributes", "AudienceFilters", "BusinessProfile", "NumberRange", "Profile"),
        "audiencelab._filters",
    ),
    **dict.fromkeys(("DEFAULT_TIMEOUT",), "audiencelab._http"),
    **dict.fromkeys(
        (
            "AttributeValues",
            "Audience",
            "AudienceCreated",
            "AudienceDeleted",
            "AudiencePreview",
            "AudienceReady",
            "CustomAudienceCreated",
            "EnrichmentJob",
            "EnrichmentJobCreated",
            "EnrichResult",
            "EventsPage",
            "Page",
            "Pixel",
            "PixelCreated",
            "PixelEvent",
            "Record",
            "RecordsPage",
            "SegmentOption",
            "SegmentPage",
        ),
        "audiencelab._models",
    ),
    "operations": "audiencelab.operations",
}
_EAGER = frozenset(
    ("audiencelab._config", "audiencelab._exceptions", "audiencelab._logging", "audiencelab._retry",
     "audiencelab._version")
)  # fmt: skip


def _load(name: str) -> Any:
    module = importlib.import_module(_PUBLIC[name])
    return module if module.__name__ == f"audiencelab.{name}" else getattr(module, name)


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module 'audiencelab' has no attribute {name!r}")
    value = _load(name)
    globals()[name] = value  # the next look-up is a plain one
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


for _name, _module in _PUBLIC.items():
    if _module in _EAGER:
        globals()[_name] = _load(_name)
del _name, _module

__all__ = sorted(_PUBLIC)
