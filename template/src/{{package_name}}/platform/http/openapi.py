"""Short, stable OpenAPI operation ids: `<module>-<route name>` (`auth-login`, `users-get`).

FastAPI's default id spells out function, path and method (`get_user_v1_users__user_id__get`),
so generated clients get names that change whenever a path does. The application mounts each
module's routers with `operation_ids(<module name>)`; a route's name is its function's, or the
`name=` of its decorator. OpenAPI links name their target with `operation_id`.
"""

from collections.abc import Callable

from fastapi.routing import APIRoute


def operation_id(module: str, route_name: str) -> str:
    return f"{module}-{route_name}".replace("_", "-")


def operation_ids(module: str) -> Callable[[APIRoute], str]:
    def generate(route: APIRoute) -> str:
        return operation_id(module, route.name)

    return generate
