;; A plugin that talks to its host through two imported functions, with strings passed
;; through its linear memory as (pointer, length) pairs:
;;   host.get(name_ptr, name_len, out_ptr, out_capacity) -> length
;;       the host writes the value of the setting `name` at out_ptr and returns its length
;;   host.log(ptr, len)
;;       the host logs the message at ptr
(module
  (import "host" "get" (func $get (param i32 i32 i32 i32) (result i32)))
  (import "host" "log" (func $log (param i32 i32)))
  (memory (export "memory") 1)

  (data (i32.const 0) "user")      ;; the setting's name, 4 bytes at 0
  (data (i32.const 16) "Hello, ")  ;; the message starts at 16: "Hello, " then the value

  ;; greet(): asks the host for "user", logs "Hello, <user>!" and returns the message's length.
  (func (export "greet") (result i32)
    (local $value_len i32)
    (local $end i32)
    ;; the value goes right after "Hello, " (at 23), at most 200 bytes
    (local.set $value_len
      (call $get (i32.const 0) (i32.const 4) (i32.const 23) (i32.const 200)))
    (local.set $end (i32.add (i32.const 23) (local.get $value_len)))
    (i32.store8 (local.get $end) (i32.const 33)) ;; "!"
    (call $log (i32.const 16) (i32.sub (i32.add (local.get $end) (i32.const 1)) (i32.const 16)))
    (i32.sub (i32.add (local.get $end) (i32.const 1)) (i32.const 16))))
