//! Load-time checks of the calls an expression makes.
//!
//! `cel` resolves a function when it is called, so an unknown function, a
//! method called on nothing that has it, or a wrong number of arguments
//! would only fail at run time, on every item. Every call is checked when
//! the rule loads instead, against the domain functions
//! ([`crate::functions::FUNCTIONS`]) and the standard functions and macros
//! of the `cel` version in use ([`STANDARD`], checked against `cel` by the
//! tests). Literal arguments are checked against the domain functions'
//! declared parameter types.

use cel::common::ast::{CallExpr, Expr, IdedExpr, LiteralValue};

use crate::functions::FUNCTIONS;
use crate::problem::ProblemCode;
use crate::suggest::suggest;

/// A standard function or macro of `cel` 0.15 (with the `strings`
/// extension, as [`crate::load::environment`] builds it).
#[derive(Debug, Clone, Copy)]
pub struct Standard {
    pub name: &'static str,
    /// Called on a target (`x.size()`) rather than globally (`size(x)`).
    pub method: bool,
    /// The accepted numbers of arguments (the target not counted).
    pub arities: &'static [usize],
    /// How it is called, for messages.
    pub usage: &'static str,
    /// A macro: expanded by the parser when called as `usage` shows.
    pub is_macro: bool,
}

const fn f(name: &'static str, arities: &'static [usize], usage: &'static str) -> Standard {
    Standard {
        name,
        method: false,
        arities,
        usage,
        is_macro: false,
    }
}

const fn m(name: &'static str, arities: &'static [usize], usage: &'static str) -> Standard {
    Standard {
        name,
        method: true,
        arities,
        usage,
        is_macro: false,
    }
}

const fn mac(
    name: &'static str,
    method: bool,
    arities: &'static [usize],
    usage: &'static str,
) -> Standard {
    Standard {
        name,
        method,
        arities,
        usage,
        is_macro: true,
    }
}

/// The standard functions, methods and macros rules may call.
pub static STANDARD: &[Standard] = &[
    // Macros.
    mac("has", false, &[1], "has(x.field)"),
    mac("all", true, &[2], "list.all(x, predicate)"),
    mac("exists", true, &[2], "list.exists(x, predicate)"),
    mac("exists_one", true, &[2], "list.exists_one(x, predicate)"),
    mac(
        "map",
        true,
        &[2, 3],
        "list.map(x, expr) or list.map(x, predicate, expr)",
    ),
    mac("filter", true, &[2], "list.filter(x, predicate)"),
    // Conversions and types.
    f("size", &[1], "size(string|list|map|bytes) -> int"),
    f("int", &[1], "int(value) -> int"),
    f("uint", &[1], "uint(value) -> uint"),
    f("double", &[1], "double(value) -> double"),
    f("string", &[1], "string(value) -> string"),
    f("bytes", &[1], "bytes(string) -> bytes"),
    f("bool", &[1], "bool(value) -> bool"),
    f("dyn", &[1], "dyn(value)"),
    f("type", &[1], "type(value) -> type"),
    f("duration", &[1], "duration(string) -> duration"),
    f("timestamp", &[1], "timestamp(string|int) -> timestamp"),
    f("matches", &[2], "matches(string, regex) -> bool"),
    f("optional.none", &[0], "optional.none()"),
    f("optional.of", &[1], "optional.of(value)"),
    f(
        "optional.ofNonZeroValue",
        &[1],
        "optional.ofNonZeroValue(value)",
    ),
    f("strings.quote", &[1], "strings.quote(string) -> string"),
    // Methods.
    m("size", &[0], "x.size() -> int"),
    m("contains", &[1], "string.contains(string) -> bool"),
    m("startsWith", &[1], "string.startsWith(string) -> bool"),
    m("endsWith", &[1], "string.endsWith(string) -> bool"),
    m("matches", &[1], "string.matches(regex) -> bool"),
    m("charAt", &[1], "string.charAt(int) -> string"),
    m("indexOf", &[1, 2], "string.indexOf(string[, int]) -> int"),
    m(
        "lastIndexOf",
        &[1, 2],
        "string.lastIndexOf(string[, int]) -> int",
    ),
    m("join", &[0, 1], "list.join([separator]) -> string"),
    m("lowerAscii", &[0], "string.lowerAscii() -> string"),
    m("upperAscii", &[0], "string.upperAscii() -> string"),
    m("trim", &[0], "string.trim() -> string"),
    m(
        "replace",
        &[2, 3],
        "string.replace(old, new[, n]) -> string",
    ),
    m("split", &[1, 2], "string.split(separator[, n]) -> list"),
    m(
        "substring",
        &[1, 2],
        "string.substring(start[, end]) -> string",
    ),
    m("format", &[1], "string.format(list) -> string"),
    m("reverse", &[0], "string.reverse() -> string"),
    m("value", &[0], "optional.value()"),
    m("hasValue", &[0], "optional.hasValue() -> bool"),
    m("or", &[1], "optional.or(optional)"),
    m("orValue", &[1], "optional.orValue(value)"),
    m(
        "getFullYear",
        &[0, 1],
        "timestamp.getFullYear([timezone]) -> int",
    ),
    m("getMonth", &[0, 1], "timestamp.getMonth([timezone]) -> int"),
    m(
        "getDayOfYear",
        &[0, 1],
        "timestamp.getDayOfYear([timezone]) -> int",
    ),
    m(
        "getDayOfMonth",
        &[0, 1],
        "timestamp.getDayOfMonth([timezone]) -> int",
    ),
    m("getDate", &[0, 1], "timestamp.getDate([timezone]) -> int"),
    m(
        "getDayOfWeek",
        &[0, 1],
        "timestamp.getDayOfWeek([timezone]) -> int",
    ),
    m("getHours", &[0, 1], "x.getHours([timezone]) -> int"),
    m("getMinutes", &[0, 1], "x.getMinutes([timezone]) -> int"),
    m("getSeconds", &[0, 1], "x.getSeconds([timezone]) -> int"),
    m(
        "getMilliseconds",
        &[0, 1],
        "x.getMilliseconds([timezone]) -> int",
    ),
];

/// A problem with one call, located by the call's expression id.
#[derive(Debug, Clone)]
pub struct CallProblem {
    pub id: u64,
    /// The name the problem is about, to point at it in the source.
    pub name: String,
    pub code: ProblemCode,
    pub message: String,
    pub help: Option<String>,
}

/// Whether a call is an operator (`_+_`, `!_`, `@in`, ...), not a function.
fn is_operator(name: &str) -> bool {
    !name.starts_with(|c: char| c.is_ascii_alphabetic())
}

/// `a.b.c` as a dotted name, when `expr` is a chain of selects on an ident.
fn dotted(expr: &IdedExpr) -> Option<String> {
    match &expr.expr {
        Expr::Ident(name) => Some(name.clone()),
        Expr::Select(s) if !s.test => dotted(&s.operand).map(|base| format!("{base}.{}", s.field)),
        _ => None,
    }
}

fn arities_text(arities: &[usize]) -> String {
    let words: Vec<String> = arities.iter().map(usize::to_string).collect();
    let n = match words.as_slice() {
        [] => "no".to_owned(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    };
    let plural = arities != [1];
    format!("{n} argument{}", if plural { "s" } else { "" })
}

fn domain(name: &str) -> impl Iterator<Item = &'static crate::functions::Function> + '_ {
    FUNCTIONS.iter().filter(move |f| f.name == name)
}

/// Names callable globally, for suggestions.
fn global_names() -> impl Iterator<Item = &'static str> {
    FUNCTIONS
        .iter()
        .map(|f| f.name)
        .chain(STANDARD.iter().filter(|s| !s.method).map(|s| s.name))
}

/// Names callable as methods, for suggestions.
fn method_names() -> impl Iterator<Item = &'static str> {
    STANDARD.iter().filter(|s| s.method).map(|s| s.name)
}

/// Checks every call in `expr` (as parsed, macros expanded).
pub fn check(expr: &IdedExpr) -> Vec<CallProblem> {
    let mut problems = Vec::new();
    let mut stack = vec![expr];
    while let Some(e) = stack.pop() {
        if let Expr::Call(call) = &e.expr {
            check_call(e.id, call, &mut problems);
        }
        crate::expr::children(e, &mut stack);
    }
    problems.sort_by_key(|p| p.id);
    problems
}

fn check_call(id: u64, call: &CallExpr, problems: &mut Vec<CallProblem>) {
    let name = call.func_name.as_str();
    if is_operator(name) {
        return;
    }
    let n = call.args.len();
    let problem = |code: ProblemCode, message: String, help: Option<String>| CallProblem {
        id,
        name: name.to_owned(),
        code,
        message,
        help,
    };
    let target = call.target.as_deref();
    // `optional.of(x)`, `strings.quote(x)`: a qualified global function.
    let qualified = target
        .and_then(dotted)
        .map(|base| format!("{base}.{name}"))
        .filter(|full| STANDARD.iter().any(|s| !s.method && s.name == full));
    if let Some(full) = qualified {
        if let Some(s) = STANDARD.iter().find(|s| !s.method && s.name == full)
            && !s.arities.contains(&n)
        {
            problems.push(problem(
                ProblemCode::Arity,
                format!("`{full}` takes {}, not {n}", arities_text(s.arities)),
                Some(format!("usage: {}", s.usage)),
            ));
        }
        return;
    }
    if target.is_none() {
        check_global(id, call, problems);
    } else {
        check_method(id, call, problems);
    }
}

fn problem(
    id: u64,
    name: &str,
    code: ProblemCode,
    message: String,
    help: Option<String>,
) -> CallProblem {
    CallProblem {
        id,
        name: name.to_owned(),
        code,
        message,
        help,
    }
}

fn check_global(id: u64, call: &CallExpr, problems: &mut Vec<CallProblem>) {
    let name = call.func_name.as_str();
    let n = call.args.len();
    let problem = |code, message, help| problem(id, name, code, message, help);
    {
        let overloads: Vec<_> = domain(name).collect();
        if !overloads.is_empty() {
            let Some(function) = overloads.iter().find(|f| f.signature_params().len() == n) else {
                let arities: Vec<usize> = overloads
                    .iter()
                    .map(|f| f.signature_params().len())
                    .collect();
                problems.push(problem(
                    ProblemCode::Arity,
                    format!("`{name}` takes {}, not {n}", arities_text(&arities)),
                    Some(
                        overloads
                            .iter()
                            .map(|f| f.signature)
                            .collect::<Vec<_>>()
                            .join("; "),
                    ),
                ));
                return;
            };
            for (i, (param, arg)) in function
                .signature_params()
                .iter()
                .zip(&call.args)
                .enumerate()
            {
                if let Some(kind) = literal_kind(arg)
                    && !accepts(param.1, kind)
                {
                    problems.push(CallProblem {
                        id: arg.id,
                        name: String::new(),
                        code: ProblemCode::ArgumentType,
                        message: format!(
                            "argument {} of `{name}` (`{}`) is {}, not {}",
                            i + 1,
                            param.0,
                            article(kind),
                            param.1.replace('|', " or ")
                        ),
                        help: Some(function.signature.to_owned()),
                    });
                }
            }
            return;
        }
        if let Some(s) = STANDARD.iter().find(|s| !s.method && s.name == name) {
            if s.is_macro {
                problems.push(problem(
                    ProblemCode::Macro,
                    format!("`{name}` needs a field selection"),
                    Some(format!("usage: {}", s.usage)),
                ));
            } else if !s.arities.contains(&n) {
                problems.push(problem(
                    ProblemCode::Arity,
                    format!("`{name}` takes {}, not {n}", arities_text(s.arities)),
                    Some(format!("usage: {}", s.usage)),
                ));
            }
            return;
        }
        let help = if let Some(s) = STANDARD.iter().find(|s| s.method && s.name == name) {
            format!("`{name}` is a method: {}", s.usage)
        } else {
            match suggest(name, global_names()) {
                Some(s) => format!(
                    "did you mean `{s}`? (`rcaudit explain --functions` lists the functions)"
                ),
                None => "`rcaudit explain --functions` lists the functions".to_owned(),
            }
        };
        problems.push(problem(
            ProblemCode::UnknownFunction,
            format!("unknown function `{name}`"),
            Some(help),
        ));
    }
}

fn check_method(id: u64, call: &CallExpr, problems: &mut Vec<CallProblem>) {
    let name = call.func_name.as_str();
    let n = call.args.len();
    let problem = |code, message, help| problem(id, name, code, message, help);
    if let Some(s) = STANDARD.iter().find(|s| s.method && s.name == name) {
        if s.is_macro {
            problems.push(problem(
                ProblemCode::Macro,
                format!(
                    "`{name}` takes a variable name and {}",
                    if name == "map" {
                        "one or two expressions"
                    } else {
                        "an expression"
                    }
                ),
                Some(format!("usage: {}", s.usage)),
            ));
        } else if !s.arities.contains(&n) {
            problems.push(problem(
                ProblemCode::Arity,
                format!("`.{name}()` takes {}, not {n}", arities_text(s.arities)),
                Some(format!("usage: {}", s.usage)),
            ));
        }
        return;
    }
    let help = if let Some(function) = domain(name).next() {
        format!(
            "`{name}` is a function, not a method: call it as {}",
            function.signature
        )
    } else if STANDARD.iter().any(|s| !s.method && s.name == name) {
        format!("`{name}` is a function, not a method: call it as `{name}(x)`")
    } else {
        match suggest(name, method_names()) {
            Some(s) => format!("did you mean `.{s}()`?"),
            None => format!(
                "methods: {}",
                method_names()
                    .filter(|n| !n.starts_with("get"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    };
    problems.push(problem(
        ProblemCode::UnknownFunction,
        format!("unknown method `.{name}()`"),
        Some(help),
    ));
}

/// The kind of a literal argument, when it is one.
fn literal_kind(arg: &IdedExpr) -> Option<&'static str> {
    Some(match &arg.expr {
        Expr::Literal(LiteralValue::Null) => "null",
        Expr::Literal(LiteralValue::String(_)) => "string",
        Expr::Literal(LiteralValue::Int(_) | LiteralValue::UInt(_)) => "int",
        Expr::Literal(LiteralValue::Double(_)) => "double",
        Expr::Literal(LiteralValue::Boolean(_)) => "bool",
        Expr::Literal(LiteralValue::Bytes(_)) => "bytes",
        Expr::List(_) => "list",
        Expr::Map(_) => "map",
        _ => return None,
    })
}

fn article(kind: &str) -> String {
    match kind {
        "int" => "an int".to_owned(),
        other => format!("a {other}"),
    }
}

/// Whether a parameter declared as `declared` (`string`, `int|string`,
/// `list`, or empty for any value) accepts a literal of `kind`.
fn accepts(declared: &str, kind: &str) -> bool {
    if declared.is_empty() || kind == "null" {
        return true;
    }
    declared.split('|').any(|t| {
        let t = t.split('(').next().unwrap_or_default().trim();
        // An id written `1.0` is the id 1 (JSON has one number type).
        t == kind || (t == "int" && kind == "double")
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use cel::{Context, ExecutionError, Value};

    use super::*;

    /// Every entry of [`STANDARD`] is declared by `cel` as a function (or a
    /// method) of that name: calling it with wrong arguments is an overload
    /// error, not an undeclared reference. (Macros are expanded by the
    /// parser, and are checked by `macros_expand`.)
    #[test]
    fn standard_functions_are_cels() {
        let env = Arc::new(crate::load::environment().expect("environment"));
        let ctx = Context::with_env(Arc::clone(&env));
        for s in STANDARD.iter().filter(|s| !s.is_macro) {
            for &n in s.arities {
                let args = vec!["null"; n].join(", ");
                let source = if s.method {
                    format!("null.{}({args})", s.name)
                } else {
                    format!("{}({args})", s.name)
                };
                let program = env.compile(&source).expect("parses");
                if let Err(ExecutionError::UndeclaredReference(name)) =
                    Value::resolve_val(program.expression(), &ctx)
                {
                    panic!("{source}: cel does not declare `{name}`");
                }
            }
        }
        // And a name cel does not declare is told apart.
        let program = env.compile("null.noSuchMethod()").expect("parses");
        assert!(matches!(
            Value::resolve_val(program.expression(), &ctx),
            Err(ExecutionError::UndeclaredReference(_))
        ));
    }

    #[test]
    fn macros_expand() {
        let env = crate::load::environment().expect("environment");
        for source in [
            "has(a.b)",
            "[1].all(x, x > 0)",
            "[1].exists(x, x > 0)",
            "[1].exists_one(x, x > 0)",
            "[1].map(x, x)",
            "[1].map(x, x > 0, x)",
            "[1].filter(x, x > 0)",
        ] {
            let program = env.compile(source).expect("parses");
            assert!(check(program.expression()).is_empty(), "{source}");
        }
    }

    #[test]
    fn domain_signatures_match_arities() {
        let env = Arc::new(crate::load::environment().expect("environment"));
        for function in FUNCTIONS {
            // The declared parameters are the registered arity.
            let n = function.signature_params().len();
            let source = format!("{}({})", function.name, vec!["null"; n].join(", "));
            let program = env.compile(&source).expect("parses");
            assert!(check(program.expression()).is_empty(), "{source}");
        }
    }

    fn problems(source: &str) -> Vec<String> {
        let env = crate::load::environment().expect("environment");
        let program = env.compile(source).expect("parses");
        check(program.expression())
            .into_iter()
            .map(|p| format!("{} | {}", p.message, p.help.unwrap_or_default()))
            .collect()
    }

    #[test]
    fn calls_are_checked() {
        let cases: &[(&str, &str)] = &[
            (
                "normalise(item.x)",
                "unknown function `normalise` | did you mean `normalize`?",
            ),
            (
                "item.x.startswith('a')",
                "unknown method `.startswith()` | did you mean `.startsWith()`?",
            ),
            (
                "item.x.normalize()",
                "unknown method `.normalize()` | `normalize` is a function, not a method",
            ),
            (
                "contains(item.x, 'a')",
                "unknown function `contains` | `contains` is a method",
            ),
            (
                "normalize(item.x, 1)",
                "`normalize` takes 1 argument, not 2",
            ),
            ("size()", "`size` takes 1 argument, not 0"),
            (
                "item.x.startsWith()",
                "`.startsWith()` takes 1 argument, not 0",
            ),
            (
                "duplicates()",
                "`duplicates` takes 1, 2 or 3 arguments, not 0",
            ),
            (
                "normalize(1)",
                "argument 1 of `normalize` (`number`) is an int, not string",
            ),
            (
                "idString([1])",
                "argument 1 of `idString` (`id`) is a list, not int or string",
            ),
            (
                "item.x.map(y)",
                "`map` takes a variable name and one or two expressions",
            ),
            ("optional.of()", "`optional.of` takes 1 argument, not 0"),
        ];
        for (source, want) in cases {
            let got = problems(source);
            assert!(
                got.iter().any(|p| p.starts_with(want) || p.contains(want)),
                "{source}: {got:?}"
            );
        }
        for fine in [
            "normalize(item.x) == 'a'",
            "idString(1.0)",
            "optional.of(1).hasValue()",
            "strings.quote('a')",
            "item.x.lowerAscii().trim().split(',').size() > 0",
            "matches(item.x, '^a') && item.x.matches('a')",
            "int('1') + size([1]) > 0 && type(1) == int",
        ] {
            assert_eq!(problems(fine), Vec::<String>::new(), "{fine}");
        }
    }
}
