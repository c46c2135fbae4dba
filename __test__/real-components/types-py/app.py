# componentize-py implementation of test:types/types (world `types`), with the behaviour
# __test__/fixtures/components/README.md gives the C fixture.
import wit_world
from wit_world import exports
from wit_world.exports import api
from wit_world.imports import host
from componentize_py_types import Err
from api import Counter  # exported resource: componentize-py looks it up in module `api`


class WitWorld(wit_world.WitWorld):
    def greet(self, name: str) -> str:
        return "Hello, " + name + "!"

    def add(self, a: int, b: int) -> int:
        r = (a + b) & 0xFFFFFFFF
        return r - 0x100000000 if r >= 0x80000000 else r


COLOR_NAMES = {api.Color.RED: "red", api.Color.GREEN: "green", api.Color.BLUE_ISH: "blue-ish"}


class Api(exports.Api):
    def echo_bool(self, v): return v
    def echo_s8(self, v): return v
    def echo_u8(self, v): return v
    def echo_s16(self, v): return v
    def echo_u16(self, v): return v
    def echo_s32(self, v): return v
    def echo_u32(self, v): return v
    def echo_s64(self, v): return v
    def echo_u64(self, v): return v
    def echo_f32(self, v): return v
    def echo_f64(self, v): return v
    def echo_char(self, v): return v
    def echo_string(self, v): return v
    def echo_bytes(self, v): return bytes(v)
    def echo_nums(self, v): return list(v)
    def echo_strings(self, v): return list(v)
    def echo_point(self, v): return api.Point(v.x, v.y, v.label_text)
    def echo_shape(self, v): return v
    def echo_color(self, v): return v
    def echo_perms(self, v): return v
    def echo_bag(self, v): return v
    def echo_option(self, v): return v
    def echo_nested(self, v): return v
    def echo_tuple(self, v): return v

    def describe(self, p, c, scale):
        return "%s@(%d,%d) %s x%g" % (p.label_text, p.x, p.y, COLOR_NAMES[c], scale)

    def checked_div(self, a, b):
        if b == 0:
            raise Err("division by zero")
        if a == -2147483648 and b == -1:
            raise Err("overflow")
        q = abs(a) // abs(b)
        return q if (a >= 0) == (b >= 0) else -q

    def try_unit(self, fail):
        if fail:
            raise Err(api.Color.BLUE_ISH)
        return None

    def call_host(self, key):
        host.log("looking up " + key)
        try:
            return "ok:" + host.fetch_value(key)
        except Err as e:
            return "err:" + e.value

    def host_add(self, x):
        return (host.add_one(x) + 1) & 0xFFFFFFFFFFFFFFFF

    def host_ticks(self, n):
        s = 0
        for i in range(n):
            s = (s + host.tick(i)) & 0xFFFFFFFF
        return s

    def sum_counter(self, c):
        return c.value()

    def make_counters(self, n):
        return [Counter(i) for i in range(n)]

    def spin(self):
        while True:
            pass

    def trap(self):
        raise RuntimeError("trap requested")

    def allocate(self, megabytes):
        if megabytes >= 4096:
            return 0
        try:
            buf = bytearray(megabytes * 1024 * 1024)
            _keep.append(buf)
            return 1
        except MemoryError:
            return 0


_keep = []
