//! Tests of [`crate::decode`].
