"""The application's `HandlerResolver` port, answered by the current dishka scope."""

from dishka import AsyncContainer


class DishkaResolver:
    def __init__(self, container: AsyncContainer) -> None:
        self._container = container

    async def resolve[T](self, kind: type[T]) -> T:
        instance: T = await self._container.get(kind)
        return instance
