"""Page sizes at their maxima: fewer calls for the same items.

Every paginated read asks for the largest page the API allows. The maximum comes from the
botocore service model (the `max` of the paginator's limit parameter); where the model declares
none, from the API reference (DOCUMENTED, with its source). An operation with neither is paged at
the service's default. Used by `collectors.base.pages` / `paginate`, so collectors never choose.
"""

from __future__ import annotations

from functools import cache

import botocore.exceptions
import botocore.session

from audit.aws.botodata import model_session

Operation = tuple[str, str]  # (botocore service name, operation name)

# Maxima the botocore model does not carry, from each operation's API reference.
DOCUMENTED: dict[Operation, int] = {
    # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListServices.html ("between 1 and 100")
    ("ecs", "ListServices"): 100,
    # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListClusters.html ("between 1 and 100")
    ("ecs", "ListClusters"): 100,
    # https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_DescribeAutoScalingGroups.html (MaxRecords: 100)
    ("autoscaling", "DescribeAutoScalingGroups"): 100,
    # https://docs.aws.amazon.com/apigateway/latest/api/API_GetRestApis.html (limit: "maximum value is 500")
    ("apigateway", "GetRestApis"): 500,
    # https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/API_GetResources.html
    # (ResourcesPerPage: "Minimum value of 1. Maximum value of 100")
    ("resourcegroupstaggingapi", "GetResources"): 100,
}


@cache
def _session() -> botocore.session.Session:
    return model_session()


@cache
def limit_key(service: str, operation: str) -> str | None:
    """The input parameter botocore's paginator uses as page size (None: not paginated or no size)."""
    session = _session()
    try:
        paginators = session.get_paginator_model(service)
        return paginators.get_paginator(operation).get("limit_key")
    except (ValueError, botocore.exceptions.UnknownServiceError, botocore.exceptions.DataNotFoundError):
        return None


@cache
def page_size(service: str, operation: str) -> int | None:
    """The largest page `operation` accepts: the model's max of its limit parameter, else DOCUMENTED."""
    key = limit_key(service, operation)
    if key is None:
        return DOCUMENTED.get((service, operation))
    return input_max(service, operation, key) or DOCUMENTED.get((service, operation))


@cache
def input_max(service: str, operation: str, parameter: str) -> int | None:
    """The model's `max` of an input parameter, e.g. the MaxResults of an operation botocore has no
    paginator for (the caller then pages by NextToken itself)."""
    shape = _session().get_service_model(service).operation_model(operation).input_shape
    member = shape.members.get(parameter) if shape is not None else None
    model_max = member.metadata.get("max") if member is not None else None
    return int(model_max) if model_max else None
