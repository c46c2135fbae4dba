;; option<option<option<u32>>>: echo(v) returns v; probe(v) = d1 + 10 d2 + 100 d3 + 1000 payload.
(component
    (core module $m
      (memory (export "mem") 1)
      (func (export "echo") (param i32 i32 i32 i32) (result i32)
        (i32.store8 (i32.const 0) (local.get 0))
        (i32.store8 (i32.const 4) (local.get 1))
        (i32.store8 (i32.const 8) (local.get 2))
        (i32.store (i32.const 12) (local.get 3))
        (i32.const 0))
      (func (export "probe") (param i32 i32 i32 i32) (result i32)
        (i32.add (local.get 0) (i32.add (i32.mul (local.get 1) (i32.const 10)) (i32.add (i32.mul (local.get 2) (i32.const 100)) (i32.mul (local.get 3) (i32.const 1000)))))))
    (core instance $i (instantiate $m))
    (alias core export $i "mem" (core memory $mem))
    (type $t (option (option (option u32))))
    (func (export "echo") (param "v" $t) (result $t)
      (canon lift (core func $i "echo") (memory $mem)))
    (func (export "probe") (param "v" $t) (result u32)
      (canon lift (core func $i "probe"))))
