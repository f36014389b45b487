//! The sandbox's JSON: [`rcaudit_model::ordered`]'s order-keeping value,
//! and `obj!` to build objects in the order written.

pub use rcaudit_model::ordered::{Json, Obj};

/// Builds an [`Obj`] with keys in the order written:
/// `obj! { "id" => 1u64, "name" => "x" }`.
macro_rules! obj {
    ($($key:expr => $value:expr),* $(,)?) => {{
        #[allow(unused_mut, reason = "empty invocations")]
        let mut o = $crate::json::Obj::new();
        $( o.insert($key, $value); )*
        o
    }};
}
pub(crate) use obj;
