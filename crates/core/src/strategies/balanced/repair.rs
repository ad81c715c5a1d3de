//! The outlier repair: where the fullest plan serves a sample worse than the median split serves
//! any, the split's batches around such samples are taken into the plan whole, and the batches
//! they draw from are cut again.

use super::bisect::bisect_and_refine;
use super::Input;
use crate::search::geometry::{l1, log_point};
use crate::strategies::Grouped;

/// `plan` with the median split's batches around the samples it serves worse than the split
/// serves any (`r` above `bound`). Such a sample is an outlier wherever the bisection put it; the
/// split batches it with its own neighbours, cutting at medians down to single batches. Those
/// batches of the split are taken whole, the plan's batches they draw samples from are cut again
/// (bisection, then refinement) from what is left of them, and the other batches stay: the
/// number of batches does not grow. `None` where what is left cannot fit (not reached: the plan
/// has as many free slots as the split).
pub(super) fn with_split_batches(
    input: &Input<'_>,
    plan: &Grouped,
    floor: &[Vec<u32>],
    bound: f64,
) -> Option<Vec<Vec<u32>>> {
    let (points, batch_size) = (&input.points, input.batch_size);
    let sizes = plan.sizes.as_ref()?;
    let mut marked = vec![false; points.len()];
    for (g, &hw) in plan.groups.iter().zip(sizes) {
        let size = log_point(hw);
        for &i in g {
            // As `tail` measures `r`: the exponential of the summed logarithms.
            marked[i as usize] = crate::math::exp(l1(points[i as usize], size)) > bound;
        }
    }
    let taken: Vec<&Vec<u32>> = floor
        .iter()
        .filter(|g| g.iter().any(|&i| marked[i as usize]))
        .collect();
    // From here on, `marked` holds the members of the taken batches.
    marked.fill(false);
    for &i in taken.iter().copied().flatten() {
        marked[i as usize] = true;
    }
    let mut drawn_from: Vec<bool> = plan
        .groups
        .iter()
        .map(|g| g.iter().any(|&i| marked[i as usize]))
        .collect();
    // Where the split's one partial batch is taken, what is left of the batches drawn from can
    // outgrow the batches left to hold it: batches of the plan with free slots are drawn from
    // too, the emptiest first. (Without this the repair gave up in about a fifth of the buffers
    // that needed it, all of them with a partial last batch.)
    let taken_samples: usize = taken.iter().map(|g| g.len()).sum();
    let (mut drawn, mut held) = (0usize, 0usize);
    for (g, _) in plan.groups.iter().zip(&drawn_from).filter(|&(_, &d)| d) {
        drawn += 1;
        held += g.len();
    }
    let mut with_room: Vec<usize> = (0..plan.groups.len())
        .filter(|&b| !drawn_from[b] && plan.groups[b].len() < batch_size)
        .collect();
    with_room.sort_by_key(|&b| (plan.groups[b].len(), b));
    let mut with_room = with_room.into_iter();
    let room = loop {
        let room = drawn.checked_sub(taken.len())?;
        if held - taken_samples <= room * batch_size {
            break room;
        }
        let b = with_room.next()?;
        drawn_from[b] = true;
        drawn += 1;
        held += plan.groups[b].len();
    };
    let mut left: Vec<u32> = plan
        .groups
        .iter()
        .zip(&drawn_from)
        .filter(|&(_, &d)| d)
        .flat_map(|(g, _)| g.iter().copied())
        .filter(|&i| !marked[i as usize])
        .collect();
    let mut groups: Vec<Vec<u32>> = plan
        .groups
        .iter()
        .zip(&drawn_from)
        .filter(|&(_, &d)| !d)
        .map(|(g, _)| g.clone())
        .collect();
    groups.extend(taken.into_iter().cloned());
    groups.extend(bisect_and_refine(input, &mut left, room));
    Some(groups)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::Shape;
    use crate::sizing::{resize_sizes, Sizing};
    use crate::strategies::balanced::median_split::median_split_groups;
    use crate::strategies::balanced::seed_shapes;

    /// Four panoramas among 96 photos: the split batches them alone, in its one partial batch.
    /// A plan that holds them in two full batches, its free slots in a third, is repaired (the
    /// third drawn from too) with no more batches: the panoramas together, every sample once,
    /// no batch over 32. (Without drawing from the third, what is left did not fit.)
    #[test]
    fn outliers_in_the_splits_partial_batch_are_batched_together() {
        let mut all = seed_shapes(96);
        all.extend((96..100).map(|i| Shape::new(i, 4000.0, 500.0).unwrap()));
        let sizing = Sizing::default();
        let input = Input::new(&all, 32, &sizing, 4);
        let points = &input.points;
        let panoramas: Vec<u32> = (96..100).collect();
        let floor = median_split_groups(&all, 32);
        assert!(
            floor.contains(&panoramas),
            "the split's partial batch: {floor:?}"
        );
        // The split's photo batches, two panoramas swapped into each of two of them for two
        // photos, which make the plan's last batch (its 28 free slots).
        let mut groups: Vec<Vec<u32>> =
            floor.iter().filter(|g| **g != panoramas).cloned().collect();
        let mut last = Vec::new();
        for (b, pair) in [(0, [96, 97]), (1, [98, 99])] {
            let at = groups[b].len() - 2;
            last.extend(groups[b].drain(at..));
            groups[b].extend(pair);
        }
        groups.push(last);
        let plan = Grouped {
            sizes: Some(resize_sizes(&all, &groups, &sizing)),
            groups,
        };
        // A bound only the panoramas exceed, so that only the split's partial batch is taken.
        let r = |i: u32, b: usize| {
            let size = log_point(plan.sizes.as_ref().unwrap()[b]);
            crate::math::exp(l1(points[i as usize], size))
        };
        let served = |pick: &dyn Fn(u32) -> bool| {
            (0..4)
                .flat_map(|b| plan.groups[b].iter().map(move |&i| (i, b)))
                .filter(|&(i, _)| pick(i))
                .map(|(i, b)| r(i, b))
                .collect::<Vec<f64>>()
        };
        let bound = served(&|i| i < 96).into_iter().fold(0.0, f64::max);
        assert!(served(&|i| i >= 96).iter().all(|&x| x > bound));
        let repaired = with_split_batches(&input, &plan, &floor, bound)
            .expect("what is left fits once the batch with free slots is drawn from too");
        assert!(repaired.len() <= 4 && repaired.iter().all(|g| !g.is_empty() && g.len() <= 32));
        let mut seen: Vec<u32> = repaired.iter().flatten().copied().collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..100).collect::<Vec<u32>>());
        assert!(repaired.contains(&panoramas));
    }
}
