//! Static shape arithmetic for the ONNX loader: broadcasting, reshape targets, axes.
//!
//! Takes: shapes as `&[usize]` (C order) and ONNX shape/axis specifications (`i64`).
//! Gives: output shapes, or a lowercase reason why the shapes do not fit together.
//! Invariant: pure functions, no panics on any input; element counts are computed
//! with checked arithmetic.

/// The number of elements of a shape, or `None` on overflow.
pub fn numel(shape: &[usize]) -> Option<usize> {
    shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d))
}

/// `[1, 2, 3]` for messages.
pub fn show(shape: &[usize]) -> String {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    format!("[{}]", dims.join(", "))
}

/// Multidirectional (numpy) broadcasting of two shapes.
pub fn broadcast(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let rank = a.len().max(b.len());
    let mut out = vec![0; rank];
    for (i, slot) in out.iter_mut().enumerate() {
        let da = dim_from_right(a, rank - 1 - i);
        let db = dim_from_right(b, rank - 1 - i);
        *slot = match (da, db) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => return None,
        };
    }
    Some(out)
}

/// The dimension `k` places from the right (1 when the shape is shorter).
fn dim_from_right(shape: &[usize], k: usize) -> usize {
    if k < shape.len() {
        shape[shape.len() - 1 - k]
    } else {
        1
    }
}

/// `data` (of shape `from`) expanded to `to`, which must be a broadcast of `from`.
pub fn broadcast_to(data: &[f64], from: &[usize], to: &[usize]) -> Option<Vec<f64>> {
    if from.len() > to.len() || numel(from)? != data.len() {
        return None;
    }
    let offset = to.len() - from.len();
    for (i, &d) in from.iter().enumerate() {
        if d != 1 && d != to[offset + i] {
            return None;
        }
    }
    let total = numel(to)?;
    if from == &to[offset..] {
        // same trailing shape: repeat the whole block
        let mut out = Vec::with_capacity(total);
        while out.len() < total {
            out.extend_from_slice(data);
        }
        return Some(out);
    }
    // strides of `from` aligned to `to`, 0 where broadcast
    let mut strides = vec![0usize; to.len()];
    let mut stride = 1usize;
    for i in (0..from.len()).rev() {
        if from[i] != 1 {
            strides[offset + i] = stride;
        }
        stride = stride.checked_mul(from[i])?;
    }
    let mut out = Vec::with_capacity(total);
    let mut index = vec![0usize; to.len()];
    for _ in 0..total {
        let src: usize = index.iter().zip(&strides).map(|(i, s)| i * s).sum();
        out.push(*data.get(src)?);
        for axis in (0..to.len()).rev() {
            index[axis] += 1;
            if index[axis] < to[axis] {
                break;
            }
            index[axis] = 0;
        }
    }
    Some(out)
}

/// The target of an ONNX `Reshape`: `0` copies the input dimension (unless
/// `allowzero`), one `-1` is inferred.
pub fn reshape_target(
    input: &[usize],
    spec: &[i64],
    allowzero: bool,
) -> Result<Vec<usize>, String> {
    let total = numel(input).ok_or("the input is too large")?;
    let mut out = Vec::with_capacity(spec.len());
    let mut infer = None;
    for (i, &d) in spec.iter().enumerate() {
        match d {
            -1 if infer.is_none() => {
                infer = Some(i);
                out.push(1);
            }
            -1 => return Err("the target shape has more than one -1".into()),
            0 if !allowzero => match input.get(i) {
                Some(&v) => out.push(v),
                None => {
                    return Err(format!(
                        "the target shape copies dimension {i}, which the input lacks"
                    ));
                }
            },
            d if d >= 0 => out.push(usize::try_from(d).map_err(|_| "a dimension is too large")?),
            d => return Err(format!("the target shape has the invalid dimension {d}")),
        }
    }
    let known = numel(&out).ok_or("the target shape is too large")?;
    if let Some(i) = infer {
        if known == 0 || total % known != 0 {
            return Err(format!("cannot reshape {} values into {:?}", total, spec));
        }
        out[i] = total / known;
    }
    if numel(&out) != Some(total) {
        return Err(format!("cannot reshape {} into {:?}", show(input), spec));
    }
    Ok(out)
}

/// Resolve a possibly negative axis against `rank`.
pub fn axis(a: i64, rank: usize) -> Option<usize> {
    let r = i64::try_from(rank).ok()?;
    let v = if a < 0 { a + r } else { a };
    if (0..r).contains(&v) {
        usize::try_from(v).ok()
    } else {
        None
    }
}

/// ONNX `Flatten` with `axis` in `[-rank, rank]`.
pub fn flatten(input: &[usize], a: i64) -> Option<Vec<usize>> {
    let r = i64::try_from(input.len()).ok()?;
    let v = if a < 0 { a + r } else { a };
    if !(0..=r).contains(&v) {
        return None;
    }
    let k = usize::try_from(v).ok()?;
    Some(vec![numel(&input[..k])?, numel(&input[k..])?])
}

/// ONNX `Squeeze`: remove the given axes (all size-1 axes when `axes` is empty).
pub fn squeeze(input: &[usize], axes: &[i64]) -> Result<Vec<usize>, String> {
    if axes.is_empty() {
        return Ok(input.iter().copied().filter(|&d| d != 1).collect());
    }
    let mut drop = vec![false; input.len()];
    for &a in axes {
        let k = axis(a, input.len())
            .ok_or_else(|| format!("axis {a} is out of range for {}", show(input)))?;
        if input[k] != 1 {
            return Err(format!(
                "axis {a} of {} has size {}, not 1",
                show(input),
                input[k]
            ));
        }
        drop[k] = true;
    }
    Ok(input
        .iter()
        .zip(&drop)
        .filter(|(_, d)| !**d)
        .map(|(s, _)| *s)
        .collect())
}

/// ONNX `Unsqueeze`: insert size-1 axes at the given positions of the output.
pub fn unsqueeze(input: &[usize], axes: &[i64]) -> Result<Vec<usize>, String> {
    let rank = input.len() + axes.len();
    let mut ones = vec![false; rank];
    for &a in axes {
        let k = axis(a, rank).ok_or_else(|| format!("axis {a} is out of range for rank {rank}"))?;
        if ones[k] {
            return Err(format!("axis {a} is repeated"));
        }
        ones[k] = true;
    }
    let mut rest = input.iter();
    Ok(ones
        .iter()
        .map(|&one| {
            if one {
                1
            } else {
                rest.next().copied().unwrap_or(1)
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcasting() {
        assert_eq!(broadcast(&[1, 3], &[3]), Some(vec![1, 3]));
        assert_eq!(broadcast(&[2, 1], &[1, 3]), Some(vec![2, 3]));
        assert_eq!(broadcast(&[2], &[3]), None);
        assert_eq!(
            broadcast_to(&[1.0, 2.0], &[2], &[2, 2]),
            Some(vec![1.0, 2.0, 1.0, 2.0])
        );
        assert_eq!(
            broadcast_to(&[1.0, 2.0], &[2, 1], &[2, 3]),
            Some(vec![1.0, 1.0, 1.0, 2.0, 2.0, 2.0])
        );
        assert_eq!(broadcast_to(&[5.0], &[], &[1, 2]), Some(vec![5.0, 5.0]));
        assert_eq!(broadcast_to(&[1.0, 2.0], &[2], &[3]), None);
    }

    #[test]
    fn reshapes() {
        assert_eq!(
            reshape_target(&[1, 784, 1], &[1, -1], false),
            Ok(vec![1, 784])
        );
        assert_eq!(reshape_target(&[2, 3], &[0, 3], false), Ok(vec![2, 3]));
        assert!(reshape_target(&[2, 3], &[4, -1], false).is_err());
        assert!(reshape_target(&[2, 3], &[-1, -1], false).is_err());
        assert_eq!(flatten(&[1, 1, 1, 5], 1), Some(vec![1, 5]));
        assert_eq!(flatten(&[2, 3], 0), Some(vec![1, 6]));
        assert_eq!(squeeze(&[1, 5, 1], &[-1]), Ok(vec![1, 5]));
        assert!(squeeze(&[1, 5], &[1]).is_err());
        assert_eq!(unsqueeze(&[5], &[0, -1]), Ok(vec![1, 5, 1]));
    }
}
