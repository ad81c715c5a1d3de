/// Input order, as the seed's `SimpleBatcher`: one group, cut into consecutive batches.
pub fn simple_groups(count: usize) -> Vec<Vec<u32>> {
    vec![(0..count as u32).collect()]
}
