//! Whether a component uses the component model's async features (async functions, streams,
//! futures, the task and waitable builtins: what WASI 0.3 is made of). Only such components
//! get an engine whose stores run concurrent calls (see `EngineKind::concurrent`). The scan
//! reads sections without validating; a component it misses fails to compile without
//! concurrency and is compiled again with it (see `compiled.rs`).

use wasmparser::{
    CanonicalFunction, CanonicalOption, ComponentDefinedType, ComponentType,
    ComponentTypeDeclaration, InstanceTypeDeclaration, Parser, Payload,
};

pub fn uses_async(binary: &[u8]) -> bool {
    for payload in Parser::new(0).parse_all(binary) {
        let found = match payload {
            Ok(Payload::ComponentCanonicalSection(reader)) => reader
                .into_iter()
                .any(|canon| canon.map_or(true, |c| is_async_canon(&c))),
            Ok(Payload::ComponentTypeSection(reader)) => reader
                .into_iter()
                .any(|ty| ty.map_or(true, |t| is_async_type(&t))),
            Ok(_) => false,
            Err(_) => true,
        };
        if found {
            return true;
        }
    }
    false
}

fn is_async_canon(canon: &CanonicalFunction) -> bool {
    match canon {
        CanonicalFunction::Lift { options, .. } | CanonicalFunction::Lower { options, .. } => {
            options.iter().any(|option| {
                matches!(
                    option,
                    CanonicalOption::Async | CanonicalOption::Callback(_)
                )
            })
        }
        CanonicalFunction::ResourceNew { .. }
        | CanonicalFunction::ResourceDrop { .. }
        | CanonicalFunction::ResourceRep { .. } => false,
        // Every other builtin (task.return, stream.*, future.*, waitable-set.*, ...) is part
        // of the async machinery.
        _ => true,
    }
}

fn is_async_type(ty: &ComponentType) -> bool {
    match ty {
        ComponentType::Func(func) => func.async_,
        ComponentType::Defined(defined) => matches!(
            defined,
            ComponentDefinedType::Future(_) | ComponentDefinedType::Stream(_)
        ),
        ComponentType::Instance(decls) => decls.iter().any(|decl| match decl {
            InstanceTypeDeclaration::Type(ty) => is_async_type(ty),
            _ => false,
        }),
        ComponentType::Component(decls) => decls.iter().any(|decl| match decl {
            ComponentTypeDeclaration::Type(ty) => is_async_type(ty),
            _ => false,
        }),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::uses_async;

    fn component(text: &str) -> Vec<u8> {
        wat::parse_str(text).expect("valid component text")
    }

    #[test]
    fn a_plain_component_does_not_use_async() {
        let plain = component(
            r#"(component
                (core module $m (func (export "f") (result i32) i32.const 1))
                (core instance $i (instantiate $m))
                (func (export "f") (result s32) (canon lift (core func $i "f"))))"#,
        );
        assert!(!uses_async(&plain));
    }

    #[test]
    fn async_functions_streams_and_builtins_are_found() {
        let async_type = component(r#"(component (type (func async)))"#);
        assert!(uses_async(&async_type));
        let nested = component(
            r#"(component (import "i" (instance (type (func async)) (export "f" (func (type 0))))))"#,
        );
        assert!(uses_async(&nested));
        let stream = component(r#"(component (type (stream u8)))"#);
        assert!(uses_async(&stream));
        let builtin = component(r#"(component (core func (canon waitable-set.new)))"#);
        assert!(uses_async(&builtin));
    }

    #[test]
    fn anything_unreadable_counts_as_async() {
        assert!(uses_async(b"\0asm\x0d\0\x01\0\x07\xff"));
    }
}
