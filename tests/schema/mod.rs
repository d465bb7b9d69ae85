//! A JSON Schema (draft-07) validator for the keywords the SARIF 2.1.0 schema uses, in place
//! of the jsonschema crate (half of the test build). A keyword it does not implement panics,
//! so the schema can never be checked only in part; `format` is not checked (as before).

use regex::Regex;
use serde_json::Value;

const ANNOTATIONS: &[&str] = &["description", "default", "title", "$schema", "$id", "definitions", "format"];

/// The errors of `instance` against `root`, each with its JSON pointer.
pub fn errors(root: &Value, instance: &Value) -> Vec<String> {
    let mut out = Vec::new();
    check(root, root, instance, "", &mut out);
    out
}

fn check(root: &Value, schema: &Value, value: &Value, at: &str, out: &mut Vec<String>) {
    let schema = match schema {
        Value::Bool(true) => return,
        Value::Bool(false) => return out.push(format!("{at}: no value is allowed here")),
        Value::Object(map) => map,
        other => panic!("not a schema: {other}"),
    };
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let target = reference.strip_prefix('#').and_then(|p| root.pointer(p));
        let target = target.unwrap_or_else(|| panic!("unresolvable $ref {reference}"));
        return check(root, target, value, at, out);
    }
    for (keyword, arg) in schema {
        match keyword.as_str() {
            k if ANNOTATIONS.contains(&k) => {}
            "type" => {
                let types: Vec<&str> = match arg {
                    Value::String(t) => vec![t.as_str()],
                    Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
                    _ => panic!("bad type {arg}"),
                };
                if !types.iter().any(|t| is_type(value, t)) {
                    out.push(format!("{at}: {value} is not of type {arg}"));
                }
            }
            "enum" => {
                if !arg.as_array().expect("enum is an array").contains(value) {
                    out.push(format!("{at}: {value} is not one of {arg}"));
                }
            }
            "minimum" | "maximum" => {
                if let (Some(v), Some(bound)) = (value.as_f64(), arg.as_f64()) {
                    if (keyword == "minimum" && v < bound) || (keyword == "maximum" && v > bound) {
                        out.push(format!("{at}: {v} is outside the {keyword} {bound}"));
                    }
                }
            }
            "pattern" => {
                if let Some(s) = value.as_str() {
                    let re = Regex::new(arg.as_str().expect("pattern is a string")).expect("pattern compiles");
                    if !re.is_match(s) {
                        out.push(format!("{at}: {s:?} does not match {arg}"));
                    }
                }
            }
            "items" => {
                for (i, item) in value.as_array().into_iter().flatten().enumerate() {
                    check(root, arg, item, &format!("{at}/{i}"), out);
                }
            }
            "minItems" => {
                if value.as_array().is_some_and(|a| (a.len() as u64) < arg.as_u64().expect("minItems")) {
                    out.push(format!("{at}: fewer than {arg} items"));
                }
            }
            "uniqueItems" => {
                if let (Some(items), Some(true)) = (value.as_array(), arg.as_bool()) {
                    if items.iter().enumerate().any(|(i, a)| items[i + 1..].contains(a)) {
                        out.push(format!("{at}: items are not unique"));
                    }
                }
            }
            "required" => {
                if let Some(object) = value.as_object() {
                    for name in arg.as_array().expect("required is an array").iter().filter_map(Value::as_str) {
                        if !object.contains_key(name) {
                            out.push(format!("{at}: missing required property {name:?}"));
                        }
                    }
                }
            }
            "properties" | "additionalProperties" => {
                let Some(object) = value.as_object() else { continue };
                let declared = schema.get("properties").and_then(Value::as_object);
                for (name, v) in object {
                    let path = format!("{at}/{name}");
                    match declared.and_then(|d| d.get(name)) {
                        Some(sub) if keyword == "properties" => check(root, sub, v, &path, out),
                        None if keyword == "additionalProperties" => check(root, arg, v, &path, out),
                        _ => {}
                    }
                }
            }
            "anyOf" | "oneOf" => {
                let passing = arg
                    .as_array()
                    .expect("anyOf/oneOf is an array")
                    .iter()
                    .filter(|sub| {
                        let mut errs = Vec::new();
                        check(root, sub, value, at, &mut errs);
                        errs.is_empty()
                    })
                    .count();
                if passing == 0 || (keyword == "oneOf" && passing > 1) {
                    out.push(format!("{at}: {passing} of the {keyword} schemas match"));
                }
            }
            other => panic!("schema keyword {other:?} is not implemented by tests/schema"),
        }
    }
}

fn is_type(value: &Value, name: &str) -> bool {
    match name {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        "number" => value.is_number(),
        "integer" => value.is_i64() || value.is_u64() || value.as_f64().is_some_and(|f| f.fract() == 0.0),
        other => panic!("unknown type {other}"),
    }
}

#[test]
fn it_rejects_what_a_schema_forbids() {
    let schema: Value = serde_json::json!({
        "type": "object", "required": ["a"], "additionalProperties": false,
        "properties": {"a": {"$ref": "#/definitions/n"}, "b": {"type": "array", "minItems": 1, "uniqueItems": true,
            "items": {"type": "string", "pattern": "^x", "enum": ["x1", "x2"]}}},
        "definitions": {"n": {"type": "integer", "minimum": 1, "maximum": 3}}
    });
    assert!(errors(&schema, &serde_json::json!({"a": 2, "b": ["x1", "x2"]})).is_empty());
    for bad in [
        serde_json::json!({"b": ["x1"]}),
        serde_json::json!({"a": 0}),
        serde_json::json!({"a": 1.5}),
        serde_json::json!({"a": 1, "c": 1}),
        serde_json::json!({"a": 1, "b": []}),
        serde_json::json!({"a": 1, "b": ["x1", "x1"]}),
        serde_json::json!({"a": 1, "b": ["y"]}),
    ] {
        assert!(!errors(&schema, &bad).is_empty(), "{bad} passed");
    }
}
