//! Solving a [`Model`] with SCIP 10 through its C API (cargo feature `scip`).
//!
//! Takes: a model and a time limit in seconds.
//! Gives: [`Solved`]: the best point (optimal only when SCIP's status is `optimal`),
//! infeasibility (only when SCIP's status is `infeasible`), or a reason it stopped that
//! names SCIP's status and its dual bound.
//! Invariant: one SCIP instance per call, freed on every path; SCIP prints nothing
//! (quiet message handler), leaves SIGINT to propc (`misc/catchctrlc` off), measures
//! wall-clock time and runs with zero gap limits, so `optimal` means proven optimal.
//! A stop at a limit, an interrupt, `unknown` and `infeasible or unbounded` are never
//! reported as optimal or infeasible.
//!
//! The declarations below are written for SCIP 10's C API (`scip/scip.h`,
//! `scip/scipdefplugins.h`, `scip/type_*.h`); the library's major version is checked
//! before the first use. The library is linked by `runtime/build.rs`
//! from `PROPC_SCIP_LIB_DIR`; `.ci/setup-scip.sh` prepares one.

use super::backend::{Solved, equilibrated};
use super::model::{Model, RowRel};
use std::ffi::{CStr, CString, c_int, c_uint};
use std::ptr;

/// The SCIP major version the declarations in [`ffi`] match.
const SCIP_MAJOR: c_int = 10;

#[allow(non_camel_case_types, non_snake_case)]
mod ffi {
    use std::ffi::{c_char, c_int, c_uint};

    /// Opaque SCIP handles (only ever used behind pointers).
    #[repr(C)]
    pub struct Scip {
        _private: [u8; 0],
    }
    #[repr(C)]
    pub struct Var {
        _private: [u8; 0],
    }
    #[repr(C)]
    pub struct Cons {
        _private: [u8; 0],
    }
    #[repr(C)]
    pub struct Sol {
        _private: [u8; 0],
    }
    #[repr(C)]
    pub struct Heur {
        _private: [u8; 0],
    }

    /// `SCIP_RETCODE` (a C enum); `SCIP_OKAY` is 1.
    pub type Retcode = c_int;
    pub const OKAY: Retcode = 1;
    /// `SCIP_Bool`
    pub type Bool = c_uint;
    pub const TRUE: Bool = 1;
    pub const FALSE: Bool = 0;
    /// `SCIP_VARTYPE`
    pub type Vartype = c_uint;
    pub const VARTYPE_BINARY: Vartype = 0;
    pub const VARTYPE_INTEGER: Vartype = 1;
    pub const VARTYPE_CONTINUOUS: Vartype = 3;
    /// `SCIP_OBJSENSE`
    pub type Objsense = c_int;
    pub const OBJSENSE_MAXIMIZE: Objsense = -1;
    pub const OBJSENSE_MINIMIZE: Objsense = 1;
    /// `SCIP_STATUS`
    pub type Status = c_uint;
    pub const STATUS_UNKNOWN: Status = 0;
    pub const STATUS_OPTIMAL: Status = 1;
    pub const STATUS_INFEASIBLE: Status = 2;
    pub const STATUS_UNBOUNDED: Status = 3;
    pub const STATUS_INFORUNBD: Status = 4;
    pub const STATUS_USERINTERRUPT: Status = 10;
    pub const STATUS_TERMINATE: Status = 11;
    pub const STATUS_NODELIMIT: Status = 20;
    pub const STATUS_TOTALNODELIMIT: Status = 21;
    pub const STATUS_STALLNODELIMIT: Status = 22;
    pub const STATUS_TIMELIMIT: Status = 23;
    pub const STATUS_MEMLIMIT: Status = 24;
    pub const STATUS_GAPLIMIT: Status = 25;
    pub const STATUS_PRIMALLIMIT: Status = 26;
    pub const STATUS_DUALLIMIT: Status = 27;
    pub const STATUS_SOLLIMIT: Status = 28;
    pub const STATUS_BESTSOLLIMIT: Status = 29;
    pub const STATUS_RESTARTLIMIT: Status = 30;

    unsafe extern "C" {
        pub fn SCIPmajorVersion() -> c_int;
        pub fn SCIPminorVersion() -> c_int;
        pub fn SCIPtechVersion() -> c_int;
        pub fn SCIPcreate(scip: *mut *mut Scip) -> Retcode;
        pub fn SCIPfree(scip: *mut *mut Scip) -> Retcode;
        pub fn SCIPsetMessagehdlrQuiet(scip: *mut Scip, quiet: Bool);
        pub fn SCIPincludeDefaultPlugins(scip: *mut Scip) -> Retcode;
        pub fn SCIPcreateProbBasic(scip: *mut Scip, name: *const c_char) -> Retcode;
        pub fn SCIPsetRealParam(scip: *mut Scip, name: *const c_char, value: f64) -> Retcode;
        pub fn SCIPsetIntParam(scip: *mut Scip, name: *const c_char, value: c_int) -> Retcode;
        pub fn SCIPsetBoolParam(scip: *mut Scip, name: *const c_char, value: Bool) -> Retcode;
        pub fn SCIPsetObjsense(scip: *mut Scip, objsense: Objsense) -> Retcode;
        pub fn SCIPaddOrigObjoffset(scip: *mut Scip, addval: f64) -> Retcode;
        pub fn SCIPinfinity(scip: *mut Scip) -> f64;
        pub fn SCIPcreateVarBasic(
            scip: *mut Scip,
            var: *mut *mut Var,
            name: *const c_char,
            lb: f64,
            ub: f64,
            obj: f64,
            vartype: Vartype,
        ) -> Retcode;
        pub fn SCIPaddVar(scip: *mut Scip, var: *mut Var) -> Retcode;
        pub fn SCIPreleaseVar(scip: *mut Scip, var: *mut *mut Var) -> Retcode;
        pub fn SCIPcreateConsBasicLinear(
            scip: *mut Scip,
            cons: *mut *mut Cons,
            name: *const c_char,
            nvars: c_int,
            vars: *mut *mut Var,
            vals: *mut f64,
            lhs: f64,
            rhs: f64,
        ) -> Retcode;
        pub fn SCIPaddCons(scip: *mut Scip, cons: *mut Cons) -> Retcode;
        pub fn SCIPreleaseCons(scip: *mut Scip, cons: *mut *mut Cons) -> Retcode;
        pub fn SCIPcreatePartialSol(
            scip: *mut Scip,
            sol: *mut *mut Sol,
            heur: *mut Heur,
        ) -> Retcode;
        pub fn SCIPsetSolVal(scip: *mut Scip, sol: *mut Sol, var: *mut Var, val: f64) -> Retcode;
        pub fn SCIPaddSolFree(scip: *mut Scip, sol: *mut *mut Sol, stored: *mut Bool) -> Retcode;
        pub fn SCIPfreeSol(scip: *mut Scip, sol: *mut *mut Sol) -> Retcode;
        pub fn SCIPsolve(scip: *mut Scip) -> Retcode;
        pub fn SCIPgetStatus(scip: *mut Scip) -> Status;
        pub fn SCIPgetBestSol(scip: *mut Scip) -> *mut Sol;
        pub fn SCIPgetSolVal(scip: *mut Scip, sol: *mut Sol, var: *mut Var) -> f64;
        pub fn SCIPgetDualbound(scip: *mut Scip) -> f64;
    }

    /// `(major, minor, patch)` of the linked library.
    pub fn version() -> (c_int, c_int, c_int) {
        // SAFETY: the version functions take no arguments and only read constants.
        unsafe { (SCIPmajorVersion(), SCIPminorVersion(), SCIPtechVersion()) }
    }
}

/// `major.minor.patch` of the linked SCIP.
pub(crate) fn version() -> String {
    let (a, b, c) = ffi::version();
    format!("{a}.{b}.{c}")
}

/// One SCIP instance and the variables it holds a reference to; released and freed on
/// drop.
struct Instance {
    scip: *mut ffi::Scip,
    vars: Vec<*mut ffi::Var>,
}

impl Drop for Instance {
    fn drop(&mut self) {
        // SAFETY: `scip` came from a successful `SCIPcreate` and is freed only here;
        // every pointer in `vars` is a variable this code created and still holds.
        unsafe {
            for v in &mut self.vars {
                ffi::SCIPreleaseVar(self.scip, v);
            }
            ffi::SCIPfree(&mut self.scip);
        }
    }
}

/// `Err` naming the call when SCIP returns anything but `SCIP_OKAY`.
fn ok(rc: ffi::Retcode, what: &str) -> Result<(), String> {
    if rc == ffi::OKAY {
        Ok(())
    } else {
        Err(format!(
            "scip solver: {what} failed (scip return code {rc})"
        ))
    }
}

/// Solves `model` within `seconds` of wall-clock time.
pub(crate) fn solve(model: &Model, seconds: f64) -> Solved {
    match run(model, seconds) {
        Ok(s) => s,
        Err(e) => Solved::Stopped(e),
    }
}

fn finite_model(model: &Model) -> bool {
    let lin_ok = |l: &super::model::Lin| {
        l.constant.is_finite() && l.terms.iter().all(|(_, c)| c.is_finite())
    };
    model.vars.iter().all(|v| !v.lo.is_nan() && !v.hi.is_nan())
        && lin_ok(&model.objective)
        && model.rows.iter().all(|r| lin_ok(&r.expr))
}

fn run(model: &Model, seconds: f64) -> Result<Solved, String> {
    let (major, _, _) = ffi::version();
    if major != SCIP_MAJOR {
        return Err(format!(
            "scip solver: the linked libscip is version {}, propc is built for SCIP {SCIP_MAJOR}",
            version()
        ));
    }
    if !finite_model(model) {
        return Err("scip solver: the model has a NaN or infinite coefficient".to_string());
    }
    let mut scip = ptr::null_mut();
    // SAFETY (this block and the ones below): every call gets the live instance
    // `inst.scip`, NUL-terminated C strings that outlive the call, variable and
    // constraint pointers SCIP handed out for this instance, and arrays whose length
    // is the count passed with them; the declarations match SCIP 10 (checked above).
    ok(unsafe { ffi::SCIPcreate(&mut scip) }, "SCIPcreate")?;
    let mut inst = Instance {
        scip,
        vars: Vec::with_capacity(model.vars.len()),
    };
    let s = inst.scip;
    unsafe {
        ffi::SCIPsetMessagehdlrQuiet(s, ffi::TRUE);
        ok(
            ffi::SCIPincludeDefaultPlugins(s),
            "SCIPincludeDefaultPlugins",
        )?;
        ok(
            ffi::SCIPcreateProbBasic(s, c"propc".as_ptr()),
            "SCIPcreateProbBasic",
        )?;
        set_int(s, c"display/verblevel", 0)?;
        set_bool(s, c"misc/catchctrlc", false)?;
        // 2 = wall clock, the clock of propc's deadlines.
        set_int(s, c"timing/clocktype", 2)?;
        set_real(s, c"limits/time", seconds.clamp(0.0, 1e20))?;
        set_real(s, c"limits/gap", 0.0)?;
        set_real(s, c"limits/absgap", 0.0)?;
        ok(
            ffi::SCIPsetObjsense(
                s,
                if model.maximize {
                    ffi::OBJSENSE_MAXIMIZE
                } else {
                    ffi::OBJSENSE_MINIMIZE
                },
            ),
            "SCIPsetObjsense",
        )?;
        if model.objective.constant != 0.0 {
            ok(
                ffi::SCIPaddOrigObjoffset(s, model.objective.constant),
                "SCIPaddOrigObjoffset",
            )?;
        }
    }
    // SAFETY: `s` is live.
    let inf = unsafe { ffi::SCIPinfinity(s) };
    let mut obj = vec![0.0; model.vars.len()];
    for (v, c) in &model.objective.terms {
        if let Some(o) = obj.get_mut(*v) {
            *o = *c;
        }
    }
    for (i, (v, o)) in model.vars.iter().zip(&obj).enumerate() {
        let lo = if v.lo.is_finite() { v.lo } else { -inf };
        let hi = if v.hi.is_finite() { v.hi } else { inf };
        let ty = match v.integer {
            true if v.lo >= 0.0 && v.hi <= 1.0 => ffi::VARTYPE_BINARY,
            true => ffi::VARTYPE_INTEGER,
            false => ffi::VARTYPE_CONTINUOUS,
        };
        let name = cname('v', i);
        let mut var = ptr::null_mut();
        unsafe {
            ok(
                ffi::SCIPcreateVarBasic(s, &mut var, name.as_ptr(), lo, hi, *o, ty),
                "SCIPcreateVarBasic",
            )?;
            inst.vars.push(var);
            ok(ffi::SCIPaddVar(s, var), "SCIPaddVar")?;
        }
    }
    for (j, r) in model.rows.iter().enumerate() {
        let row = equilibrated(r);
        let mut vars = Vec::with_capacity(row.terms.len());
        let mut vals = Vec::with_capacity(row.terms.len());
        for (v, c) in &row.terms {
            let var =
                inst.vars.get(*v).copied().ok_or_else(|| {
                    format!("scip solver: row {} reads a missing variable", r.name)
                })?;
            vars.push(var);
            vals.push(*c);
        }
        let rhs = -row.constant;
        let (lhs, rhs) = match r.rel {
            RowRel::Le => (-inf, rhs),
            RowRel::Ge => (rhs, inf),
            RowRel::Eq => (rhs, rhs),
        };
        let n = c_int::try_from(vars.len()).map_err(|_| "scip solver: row too long".to_string())?;
        let name = cname('r', j);
        let mut cons = ptr::null_mut();
        unsafe {
            ok(
                ffi::SCIPcreateConsBasicLinear(
                    s,
                    &mut cons,
                    name.as_ptr(),
                    n,
                    vars.as_mut_ptr(),
                    vals.as_mut_ptr(),
                    lhs,
                    rhs,
                ),
                "SCIPcreateConsBasicLinear",
            )?;
            let added = ok(ffi::SCIPaddCons(s, cons), "SCIPaddCons");
            ok(ffi::SCIPreleaseCons(s, &mut cons), "SCIPreleaseCons")?;
            added?;
        }
    }
    add_hint(&inst, model);
    // SAFETY: `s` is live and holds a complete problem.
    ok(unsafe { ffi::SCIPsolve(s) }, "SCIPsolve")?;
    let status = unsafe { ffi::SCIPgetStatus(s) };
    let best = unsafe { ffi::SCIPgetBestSol(s) };
    let point = (!best.is_null()).then(|| {
        let values: Vec<f64> = inst
            .vars
            .iter()
            // SAFETY: `best` is this instance's best solution, `v` its variable.
            .map(|v| unsafe { ffi::SCIPgetSolVal(s, best, *v) })
            .collect();
        let objective = model.objective.eval(&values);
        (values, objective)
    });
    let dual = unsafe { ffi::SCIPgetDualbound(s) };
    Ok(classify(status, point, dual, inf))
}

/// The result for SCIP status `status`, best point `point` (values, objective) and
/// dual bound `dual` (`±inf` is SCIP's infinity).
fn classify(status: ffi::Status, point: Option<(Vec<f64>, f64)>, dual: f64, inf: f64) -> Solved {
    match (status, point) {
        (ffi::STATUS_OPTIMAL, Some((values, objective))) => Solved::Point {
            optimal: true,
            values,
            objective,
        },
        (ffi::STATUS_OPTIMAL, None) => {
            Solved::Stopped("scip solver: status optimal without a solution".to_string())
        }
        (ffi::STATUS_INFEASIBLE, _) => Solved::Infeasible,
        (ffi::STATUS_UNBOUNDED, _) => {
            Solved::Stopped("the solver reports an unbounded model".to_string())
        }
        (ffi::STATUS_INFORUNBD, _) => Solved::Stopped(
            "scip solver: the model is infeasible or unbounded (not proven infeasible)".to_string(),
        ),
        (_, Some((values, objective))) => Solved::Point {
            optimal: false,
            values,
            objective,
        },
        (other, None) => {
            let bound = if dual.abs() >= inf || !dual.is_finite() {
                "none".to_string()
            } else {
                format!("{dual:e}")
            };
            Solved::Stopped(format!(
                "scip solver: {} before a feasible point was found (dual bound {bound})",
                status_text(other)
            ))
        }
    }
}

fn status_text(status: ffi::Status) -> String {
    match status {
        ffi::STATUS_TIMELIMIT => "time limit reached".to_string(),
        ffi::STATUS_NODELIMIT | ffi::STATUS_TOTALNODELIMIT | ffi::STATUS_STALLNODELIMIT => {
            "node limit reached".to_string()
        }
        ffi::STATUS_MEMLIMIT => "memory limit reached".to_string(),
        ffi::STATUS_GAPLIMIT => "gap limit reached".to_string(),
        ffi::STATUS_PRIMALLIMIT | ffi::STATUS_DUALLIMIT => "objective limit reached".to_string(),
        ffi::STATUS_SOLLIMIT | ffi::STATUS_BESTSOLLIMIT => "solution limit reached".to_string(),
        ffi::STATUS_RESTARTLIMIT => "restart limit reached".to_string(),
        ffi::STATUS_USERINTERRUPT => "interrupted".to_string(),
        ffi::STATUS_TERMINATE => "terminated".to_string(),
        ffi::STATUS_UNKNOWN => "stopped with status unknown".to_string(),
        other => format!("stopped with status {other}"),
    }
}

/// The model's advisory start as a partial solution (SCIP's `completesol` heuristic
/// completes it, or drops it). Failures only lose the hint.
fn add_hint(inst: &Instance, model: &Model) {
    if model.hint.is_empty() {
        return;
    }
    let s = inst.scip;
    let mut sol = ptr::null_mut();
    // SAFETY: `s` is live; `sol` is created here and either handed to SCIP
    // (`SCIPaddSolFree` frees it) or freed here.
    unsafe {
        if ffi::SCIPcreatePartialSol(s, &mut sol, ptr::null_mut()) != ffi::OKAY || sol.is_null() {
            return;
        }
        for (v, x) in &model.hint {
            if let Some(var) = inst.vars.get(*v)
                && x.is_finite()
                && ffi::SCIPsetSolVal(s, sol, *var, *x) != ffi::OKAY
            {
                ffi::SCIPfreeSol(s, &mut sol);
                return;
            }
        }
        let mut stored = ffi::FALSE;
        if ffi::SCIPaddSolFree(s, &mut sol, &mut stored) != ffi::OKAY && !sol.is_null() {
            ffi::SCIPfreeSol(s, &mut sol);
        }
    }
}

/// `{prefix}{i}` as a C string (no interior NUL by construction).
fn cname(prefix: char, i: usize) -> CString {
    CString::new(format!("{prefix}{i}")).unwrap_or_default()
}

unsafe fn set_real(s: *mut ffi::Scip, name: &CStr, value: f64) -> Result<(), String> {
    // SAFETY: the caller passes a live instance.
    ok(
        unsafe { ffi::SCIPsetRealParam(s, name.as_ptr(), value) },
        &format!("setting {}", name.to_string_lossy()),
    )
}

unsafe fn set_int(s: *mut ffi::Scip, name: &CStr, value: c_int) -> Result<(), String> {
    // SAFETY: the caller passes a live instance.
    ok(
        unsafe { ffi::SCIPsetIntParam(s, name.as_ptr(), value) },
        &format!("setting {}", name.to_string_lossy()),
    )
}

unsafe fn set_bool(s: *mut ffi::Scip, name: &CStr, value: bool) -> Result<(), String> {
    let b: c_uint = if value { ffi::TRUE } else { ffi::FALSE };
    // SAFETY: the caller passes a live instance.
    ok(
        unsafe { ffi::SCIPsetBoolParam(s, name.as_ptr(), b) },
        &format!("setting {}", name.to_string_lossy()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point() -> Option<(Vec<f64>, f64)> {
        Some((vec![1.0], 2.0))
    }

    #[test]
    fn only_optimal_is_optimal_and_only_infeasible_is_infeasible() {
        let inf = 1e20;
        assert!(matches!(
            classify(ffi::STATUS_OPTIMAL, point(), 2.0, inf),
            Solved::Point { optimal: true, .. }
        ));
        for st in [
            ffi::STATUS_TIMELIMIT,
            ffi::STATUS_GAPLIMIT,
            ffi::STATUS_NODELIMIT,
            ffi::STATUS_USERINTERRUPT,
            ffi::STATUS_UNKNOWN,
        ] {
            assert!(
                matches!(
                    classify(st, point(), 1.0, inf),
                    Solved::Point { optimal: false, .. }
                ),
                "{st}"
            );
            let Solved::Stopped(why) = classify(st, None, 1.5, inf) else {
                panic!("{st}")
            };
            assert!(why.contains("dual bound 1.5e0"), "{why}");
        }
        let Solved::Stopped(why) = classify(ffi::STATUS_TIMELIMIT, None, -inf, inf) else {
            panic!()
        };
        assert_eq!(
            why,
            "scip solver: time limit reached before a feasible point was found (dual bound none)"
        );
        assert_eq!(
            classify(ffi::STATUS_INFEASIBLE, None, inf, inf),
            Solved::Infeasible
        );
        for st in [ffi::STATUS_INFORUNBD, ffi::STATUS_UNBOUNDED] {
            assert!(matches!(classify(st, None, 0.0, inf), Solved::Stopped(_)));
            assert!(matches!(
                classify(st, point(), 0.0, inf),
                Solved::Stopped(_)
            ));
        }
    }
}
