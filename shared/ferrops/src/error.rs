//! Lambda errors: how a crate's error enum reaches the runtime.

/// Makes a crate's error enum a Lambda error: `Debug` prints the `Display` message, and the
/// enum converts into the runtime's `Diagnostic` with the `errorType` its inherent
/// `fn error_type(&self) -> &'static str` chooses.
///
/// The runtime logs a handler error with `{:?}`. Our messages already name the failed call with
/// AWS's code and message; the derived `Debug` would add whole SDK errors and HTTP responses.
#[macro_export]
macro_rules! lambda_error {
    ($ty:ty) => {
        impl ::std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Display::fmt(self, f)
            }
        }

        impl ::std::convert::From<$ty> for $crate::__private::Diagnostic {
            fn from(e: $ty) -> Self {
                $crate::__private::Diagnostic {
                    error_type: e.error_type().to_string(),
                    error_message: e.to_string(),
                }
            }
        }
    };
}

#[cfg(test)]
mod tests {
    #[derive(thiserror::Error)]
    enum Sample {
        #[error("the ledger table is missing")]
        NoTable,
    }

    impl Sample {
        fn error_type(&self) -> &'static str {
            "NoTable"
        }
    }

    lambda_error!(Sample);

    #[test]
    fn lambda_errors_debug_as_their_message_and_carry_their_error_type() {
        assert_eq!(
            format!("{:?}", Sample::NoTable),
            "the ledger table is missing"
        );
        let d = crate::__private::Diagnostic::from(Sample::NoTable);
        assert_eq!(d.error_type, "NoTable");
        assert_eq!(d.error_message, "the ledger table is missing");
    }
}
