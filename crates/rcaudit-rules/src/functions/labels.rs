//! How a message names a record and its part of a key: `extensionLabel`,
//! `numberLabel`, `extensionKey`, `extensionNumberKey`, `numberKey`,
//! `positionKey`. The
//! keys are built here, so no rule concatenates one by hand.

use cel::ExecutionError;
use cel::common::types::CelInt;
use cel::common::value::{CowVal, Val};

use super::ids::id_text;
use super::numbers::normalize_number;
use super::values::{
    Args, Out, as_text, field_of, is_nothing, record_arg, string, take, text, type_error,
};

/// An id field as a string, when present and not null.
fn id_of(function: &str, record: &dyn Val) -> Result<Option<String>, ExecutionError> {
    field_of(record, "id")
        .map(|id| {
            id_text(id.as_ref())
                .ok_or_else(|| type_error(function, id.as_ref(), "an int or a string"))
        })
        .transpose()
}

/// An extension's label, or `None` when it has neither an extensionNumber
/// nor an id.
fn label_of<'b, 'v>(
    function: &str,
    extension: &dyn Val,
) -> Result<Option<CowVal<'b, 'v>>, ExecutionError> {
    let Some(extension) = record_arg(function, extension)? else {
        return Ok(None);
    };
    if let Some(number) = field_of(extension, "extensionNumber") {
        return Ok(Some(string(as_text(number.as_ref()))));
    }
    Ok(id_of(function, extension)?.map(|id| string(format!("id {id}"))))
}

pub(super) fn extension_label<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [extension] = take(args)?;
    Ok(label_of("extensionLabel", extension.as_ref())?.unwrap_or_else(|| string("?")))
}

pub(super) fn extension_label_at<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [extension, index] = take(args)?;
    let index = index.as_ref();
    let position = index
        .downcast_ref::<CelInt>()
        .map(|i| *i.inner())
        .ok_or_else(|| type_error("extensionLabel", index, "an index (an int)"))?;
    Ok(label_of("extensionLabel", extension.as_ref())?
        .unwrap_or_else(|| string(format!("#{position}"))))
}

/// `ext:` and an extension's id, `ext:?` without one.
fn extension_key_of(extension: &dyn Val) -> Result<String, ExecutionError> {
    let id = match record_arg("extensionKey", extension)? {
        Some(extension) => id_of("extensionKey", extension)?,
        None => None,
    };
    Ok(format!("ext:{}", id.as_deref().unwrap_or("?")))
}

pub(super) fn extension_key<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [extension] = take(args)?;
    Ok(string(extension_key_of(extension.as_ref())?))
}

/// `extensionKey(extension, part, value)`: `ext:ID:PART:VALUE`, a value
/// within its extension.
pub(super) fn extension_key_part<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [extension, part, value] = take(args)?;
    let part = part.as_ref();
    let part = text(part).ok_or_else(|| type_error("extensionKey", part, "a string"))?;
    let value = value.as_ref();
    let value = if is_nothing(value) {
        "?".to_owned()
    } else {
        as_text(value)
    };
    Ok(string(format!(
        "{}:{part}:{value}",
        extension_key_of(extension.as_ref())?
    )))
}

/// `positionKey(prefix, index)`: `prefix#index`, the key of a record that
/// has nothing of its own to be named by.
pub(super) fn position_key<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [prefix, index] = take(args)?;
    let prefix = prefix.as_ref();
    let prefix = text(prefix).ok_or_else(|| type_error("positionKey", prefix, "a string"))?;
    let index = index.as_ref();
    let index = index
        .downcast_ref::<CelInt>()
        .map(|i| *i.inner())
        .ok_or_else(|| type_error("positionKey", index, "an index (an int)"))?;
    Ok(string(format!("{prefix}#{index}")))
}

pub(super) fn extension_number_key<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [extension] = take(args)?;
    let number = record_arg("extensionNumberKey", extension.as_ref())?
        .and_then(|extension| field_of(extension, "extensionNumber"))
        .map_or_else(|| "?".to_owned(), |number| as_text(number.as_ref()));
    Ok(string(format!("extensionNumber:{number}")))
}

/// `number:` and a record's phoneNumber without its leading `+`, else
/// `id:` and its id; `None` for a record with neither (or no record).
fn number_key_of(record: &dyn Val) -> Result<Option<String>, ExecutionError> {
    let Some(record) = record_arg("numberKey", record)? else {
        return Ok(None);
    };
    if let Some(number) = field_of(record, "phoneNumber") {
        let number = number.as_ref();
        let number = text(number).ok_or_else(|| type_error("numberKey", number, "a string"))?;
        return Ok(Some(format!("number:{}", normalize_number(number))));
    }
    Ok(id_of("numberKey", record)?.map(|id| format!("id:{id}")))
}

pub(super) fn number_key<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [record, otherwise] = take(args)?;
    Ok(number_key_of(record.as_ref())?.map_or(otherwise, string))
}

pub(super) fn number_key_alone<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [record] = take(args)?;
    Ok(string(
        number_key_of(record.as_ref())?.unwrap_or_else(|| "number:?".to_owned()),
    ))
}

pub(super) fn number_label<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [record] = take(args)?;
    let number = record_arg("numberLabel", record.as_ref())?
        .and_then(|record| field_of(record, "phoneNumber"))
        .map(|number| string(as_text(number.as_ref())));
    Ok(number.unwrap_or_else(|| string("(no phoneNumber)")))
}
