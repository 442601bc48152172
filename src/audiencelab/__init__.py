"""audiencelab: the Python toolkit for the AudienceLab audience API.

>>> from audiencelab import AudienceLab
>>> client = AudienceLab()  # reads AUDIENCELAB_API_KEY
>>> client.audiences.create(name="NYC engineers", filters={"city": ["New York"]}).audience_id
"""

from audiencelab._client import AsyncAudienceLab, AudienceLab
from audiencelab._exceptions import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AudienceLabError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    FilterValidationError,
    InputProblem,
    InputValidationError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
    WaitTimeoutError,
)
from audiencelab._filters import (
    AgeRange,
    Attributes,
    AudienceFilters,
    BusinessProfile,
    NumberRange,
    Profile,
)
from audiencelab._models import AudienceCreated
from audiencelab._version import __version__

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AgeRange",
    "AsyncAudienceLab",
    "Attributes",
    "AudienceCreated",
    "AudienceFilters",
    "AudienceLab",
    "AudienceLabError",
    "AuthenticationError",
    "BadRequestError",
    "BusinessProfile",
    "ConflictError",
    "FilterValidationError",
    "InputProblem",
    "InputValidationError",
    "InternalServerError",
    "NotFoundError",
    "NumberRange",
    "PermissionDeniedError",
    "Profile",
    "RateLimitError",
    "UnprocessableEntityError",
    "WaitTimeoutError",
    "__version__",
]
