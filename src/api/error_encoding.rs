//! A `WasmError` becomes a thrown JS error: a napi error whose message is the error's encoding
//! (`WasmError::encode`), which lib/errors.js turns back into a `WasmError`.

use crate::error::WasmError;

impl From<WasmError> for napi::Error {
    fn from(error: WasmError) -> Self {
        napi::Error::new(napi::Status::GenericFailure, error.encode())
    }
}

#[cfg(test)]
mod tests {
    use crate::error::{ErrorCode, WasmError};

    #[test]
    fn a_napi_error_carries_the_encoding() {
        let error = WasmError::new(ErrorCode::ExportNotFound, "no \"x\"").with_path("/q");
        let encoded = error.encode();
        let napi_error = napi::Error::from(error);
        assert_eq!(napi_error.status, napi::Status::GenericFailure);
        assert_eq!(napi_error.reason, encoded);
    }
}
