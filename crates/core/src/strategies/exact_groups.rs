//! Full batches of samples of one exact size, set apart first by Clustered and Balanced: real
//! collections repeat a few sizes heavily, and such batches waste nothing.

use crate::shape::Shape;

/// Full batches of samples of one exact size, and the samples left over.
pub(super) struct ExactGroups {
    pub full: Vec<Vec<u32>>,
    /// Positions not in a full batch, in input order.
    pub rest: Vec<u32>,
    /// Distinct sizes among `rest`.
    pub rest_sizes: usize,
}

pub(super) fn exact_groups(shapes: &[Shape], batch_size: usize) -> ExactGroups {
    // One integer key per sample, its size then its position, sorts far faster than comparing
    // floats or tuples. Sides are whole numbers below 2^31 (`Shape::new`): in a u128 always, and
    // in a u64 (half the cost to sort in wasm) while they stay below 2^16, as real images do.
    let small = |s: &Shape| s.width < 65536.0 && s.height < 65536.0;
    if shapes.iter().all(small) {
        let keys = shapes
            .iter()
            .enumerate()
            .map(|(i, s)| ((s.width as u64) << 48) | ((s.height as u64) << 32) | i as u64);
        group_runs(keys.collect(), shapes.len(), batch_size)
    } else {
        // (Through u64: a float converts to u128 by a software routine.)
        let keys = shapes.iter().enumerate().map(|(i, s)| {
            ((s.width as u64 as u128) << 63) | ((s.height as u64 as u128) << 32) | i as u128
        });
        group_runs(keys.collect(), shapes.len(), batch_size)
    }
}

/// [`exact_groups`] from keys that hold a size above their low 32 bits and a position in them.
fn group_runs<K: Ord + Copy + Into<u128>>(
    mut keys: Vec<K>,
    n: usize,
    batch_size: usize,
) -> ExactGroups {
    keys.sort_unstable();
    let size = |k: &K| (*k).into() >> 32;
    let position = |k: &K| (*k).into() as u32;
    let mut full = Vec::new();
    let mut in_full = vec![false; n];
    let mut rest_sizes = 0;
    for run in keys.chunk_by(|a, b| size(a) == size(b)) {
        let whole = run.len() / batch_size * batch_size;
        for batch in run[..whole].chunks(batch_size) {
            full.push(batch.iter().map(position).collect());
            for k in batch {
                in_full[position(k) as usize] = true;
            }
        }
        rest_sizes += usize::from(whole < run.len());
    }
    let rest = (0..n as u32).filter(|&i| !in_full[i as usize]).collect();
    ExactGroups {
        full,
        rest,
        rest_sizes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_groups_set_apart_full_batches_of_one_size() {
        // (width, height): 640x480 three times, 500x375 four times, 1x1 once.
        let sizes = [
            (640, 480),
            (500, 375),
            (640, 480),
            (1, 1),
            (640, 480),
            (500, 375),
            (500, 375),
            (500, 375),
        ];
        let shapes: Vec<Shape> = sizes
            .iter()
            .enumerate()
            .map(|(i, &(w, h))| Shape::new(i, f64::from(w), f64::from(h)).unwrap())
            .collect();
        let groups = exact_groups(&shapes, 2);
        assert_eq!(groups.full, vec![vec![1, 5], vec![6, 7], vec![0, 2]]);
        assert_eq!(groups.rest, vec![3, 4]);
        assert_eq!(groups.rest_sizes, 2);
        let groups = exact_groups(&shapes, 8);
        assert!(groups.full.is_empty());
        assert_eq!(groups.rest, (0..8).collect::<Vec<u32>>());
        assert_eq!(groups.rest_sizes, 3);
        // Sides of 2^16 and more take the wide keys: the same groups.
        let mut wide = shapes.clone();
        let side = |i: usize, w: f64, h: f64| Shape::new(i, w, h).unwrap();
        wide.extend([
            side(8, 70_000.0, 3.0),
            side(9, 640.0, 480.0),
            side(10, 70_000.0, 3.0),
        ]);
        let groups = exact_groups(&wide, 2);
        assert_eq!(
            groups.full,
            vec![vec![1, 5], vec![6, 7], vec![0, 2], vec![4, 9], vec![8, 10]]
        );
        assert_eq!(groups.rest, vec![3]);
        assert_eq!(groups.rest_sizes, 1);
    }
}
