"""wasi-testsuite runtime adapter for runtime-wasm's CLI.

Pass it to the suite's runner:
    python3 run-tests -r /path/to/runtime-wasm/conformance/wasi-testsuite/runtime-wasm.py
RUNTIME_WASM sets the command (default: node and bin/runtime-wasm.js of this checkout).
"""
import os
import shlex
import subprocess
from pathlib import Path
from typing import Dict, List, Optional, Tuple

_DEFAULT = f"node {Path(__file__).resolve().parents[2] / 'bin' / 'runtime-wasm.js'}"
CLI = shlex.split(os.getenv("RUNTIME_WASM", _DEFAULT))


def get_name() -> str:
    return "runtime-wasm"


def get_version() -> str:
    result = subprocess.run(CLI + ["--version"], encoding="UTF-8",
                            capture_output=True, check=True)
    return result.stdout.strip().split(" ")[-1]


def get_wasi_versions() -> List[str]:
    return ["wasm32-wasip1", "wasm32-wasip3"]


def get_wasi_worlds() -> List[str]:
    return ["wasi:cli/command", "wasi:http/service"]


def get_timeout_seconds() -> float:
    # Each test starts Node and compiles its program: allow a slow machine.
    return 60.0


def compute_argv(test_path: str,
                 args_env_root: Tuple[List[str], Dict[str, str], Optional[str]],
                 proposals: List[str],
                 wasi_world: str,
                 wasi_version: str) -> List[str]:
    args, env, root = args_env_root
    # A service is served (it prints "Serving HTTP on http://ADDR/" first on stderr, as
    # wasmtime serve does); a command is run.
    serve = wasi_world == "wasi:http/service"
    argv = CLI + (["serve", "--addr=127.0.0.1:0"] if serve else ["run"])
    # The tests that use sockets or HTTP reach the servers they start on loopback: grant
    # everything, as the suite's wasmtime adapter does with -S inherit-network.
    if "sockets" in proposals or "http" in proposals:
        argv += ["-S", "inherit-network"]
    for key, value in env.items():
        argv += ["--env", f"{key}={value}"]
    if root:
        argv += ["--dir", f"{root}::/"]
    return argv + [test_path] + args
