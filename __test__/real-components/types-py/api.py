# The exported resource test:types/api.counter: componentize-py looks for the
# class in a module named after the exported interface.
from wit_world.exports import api


class Counter(api.Counter):
    def __init__(self, start: int) -> None:
        self.n = start

    def increment(self, by: int) -> int:
        self.n = (self.n + by) & 0xFFFFFFFF
        return self.n

    def value(self) -> int:
        return self.n

    @classmethod
    def merge(cls, a: "Counter", b: "Counter") -> "Counter":
        return Counter((a.n + b.n) & 0xFFFFFFFF)
