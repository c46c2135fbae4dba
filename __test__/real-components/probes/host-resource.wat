;; Imports a resource from the host: use-kv(n) constructs a kv through the host's
;; [constructor]kv(n), reads it back with [method]kv.get and drops it.
(component
  (import "test:res/store" (instance $store
    (export "kv" (type (sub resource)))
    (export "[constructor]kv" (func (param "n" u32) (result (own 0))))
    (export "[method]kv.get" (func (param "self" (borrow 0)) (result u32)))))
  (alias export $store "kv" (type $kv))
  (alias export $store "[constructor]kv" (func $ctor))
  (alias export $store "[method]kv.get" (func $get))
  (core func $ctor_l (canon lower (func $ctor)))
  (core func $get_l (canon lower (func $get)))
  (core func $drop (canon resource.drop $kv))
  (core module $m
    (import "h" "ctor" (func $ctor (param i32) (result i32)))
    (import "h" "get" (func $get (param i32) (result i32)))
    (import "h" "drop" (func $drop (param i32)))
    (func (export "use") (param i32) (result i32) (local $h i32) (local $r i32)
      (local.set $h (call $ctor (local.get 0)))
      (local.set $r (call $get (local.get $h)))
      (call $drop (local.get $h))
      (local.get $r)))
  (core instance $hi (export "ctor" (func $ctor_l)) (export "get" (func $get_l)) (export "drop" (func $drop)))
  (core instance $i (instantiate $m (with "h" (instance $hi))))
  (func (export "use-kv") (param "n" u32) (result u32) (canon lift (core func $i "use"))))
