;; option<option<u32>> both ways: probe(v) tells which value the guest received (outer
;; discriminant + 10 * inner discriminant + 100 * payload); make(code) returns none (0),
;; some(none) (1) or some(some(7)) (2).
(component
  (core module $m
    (memory (export "mem") 1)
    ;; probe(v: option<option<u32>>) -> u32 = outer-disc + 10 * inner-disc + 100 * payload
    (func (export "probe") (param i32 i32 i32) (result i32)
      (i32.add (local.get 0)
        (i32.add (i32.mul (local.get 1) (i32.const 10)) (i32.mul (local.get 2) (i32.const 100)))))
    ;; make(code) -> option<option<u32>>: code 0 = none, 1 = some(none), 2 = some(some(7))
    (func (export "make") (param i32) (result i32)
      (i32.store8 (i32.const 16) (i32.ne (local.get 0) (i32.const 0)))
      (i32.store8 (i32.const 20) (i32.eq (local.get 0) (i32.const 2)))
      (i32.store (i32.const 24) (i32.const 7))
      (i32.const 16)))
  (core instance $i (instantiate $m))
  (alias core export $i "mem" (core memory $mem))
  (type $t (option (option u32)))
  (func (export "probe") (param "v" $t) (result u32) (canon lift (core func $i "probe")))
  (func (export "make") (param "code" u32) (result $t) (canon lift (core func $i "make") (memory $mem))))
