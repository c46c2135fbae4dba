# A wasi:cli/command written in Python (componentize-py), chosen by argv[1]:
#   echo-args ARGS...   every argv entry on its own line
#   env NAME            the variable's value or (unset)
#   cat PATH            the file's contents to stdout
#   write PATH TEXT     writes TEXT to PATH
#   ls DIR              sorted entries
#   stdin               stdin, uppercased
#   exit N              sys.exit(N)
#   raise               an uncaught exception
#   sleep MS            sleeps, prints slept
#   stderr TEXT         TEXT on stderr
#   time                prints whether the wall clock looks sane (year > 2020)
#   random              prints the length of os.urandom(16)
#   big N               prints N bytes of 'x' in one write
import os
import sys
import time

import wit_world
from wit_world import exports


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ''
    if cmd == 'echo-args':
        for a in argv:
            print(a)
    elif cmd == 'env':
        print(os.environ.get(argv[2], '(unset)'))
    elif cmd == 'cat':
        try:
            with open(argv[2], 'rb') as f:
                sys.stdout.buffer.write(f.read())
        except OSError as e:
            print(e.strerror, file=sys.stderr)
            return 3
    elif cmd == 'write':
        try:
            with open(argv[2], 'w') as f:
                f.write(argv[3])
        except OSError as e:
            print(e.strerror, file=sys.stderr)
            return 4
    elif cmd == 'ls':
        for n in sorted(os.listdir(argv[2])):
            print(n)
    elif cmd == 'stdin':
        sys.stdout.write(sys.stdin.read().upper())
    elif cmd == 'exit':
        sys.exit(int(argv[2]))
    elif cmd == 'raise':
        raise ValueError('boom')
    elif cmd == 'sleep':
        time.sleep(int(argv[2]) / 1000)
        print('slept')
    elif cmd == 'stderr':
        print(argv[2], file=sys.stderr)
    elif cmd == 'time':
        print('sane' if time.gmtime().tm_year > 2020 else 'insane')
    elif cmd == 'random':
        print(len(os.urandom(16)))
    elif cmd == 'big':
        sys.stdout.write('x' * int(argv[2]))
    else:
        print('usage', file=sys.stderr)
        return 2
    return 0


class Run(exports.Run):
    def run(self) -> None:
        status = main(sys.argv)
        sys.stdout.flush()
        if status:
            sys.exit(status)
