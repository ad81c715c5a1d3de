//! The samples of one buffer as parallel arrays, and the check that turns them into shapes.

use crate::error::{ErrorCode, PlanError, Reject};
use crate::shape::Shape;

/// The outcome of checking a buffer: the valid samples' shapes, their input indices, and the
/// problems with the others.
#[derive(Debug, Default)]
pub struct Checked {
    pub shapes: Vec<Shape>,
    pub indices: Vec<u32>,
    pub rejects: Vec<Reject>,
}

/// The samples of one buffer, as parallel arrays. `keys` is needed by the sorted strategy with a
/// custom key, and ignored otherwise.
#[derive(Debug, Clone, Copy)]
pub struct Samples<'a> {
    pub widths: &'a [f64],
    pub heights: &'a [f64],
    pub keys: Option<&'a [f64]>,
    /// Problems found before planning (an unreadable header), by ascending index: these samples
    /// are rejected with this reason instead of being checked.
    pub known: &'a [Reject],
}

impl<'a> Samples<'a> {
    pub fn new(widths: &'a [f64], heights: &'a [f64]) -> Self {
        Samples {
            widths,
            heights,
            keys: None,
            known: &[],
        }
    }

    /// Checks every sample; returns the shapes of the valid ones with their input indices.
    pub fn check(&self) -> Result<Checked, PlanError> {
        if self.widths.len() != self.heights.len() {
            return Err(PlanError::Input {
                message: format!(
                    "{} widths but {} heights",
                    self.widths.len(),
                    self.heights.len()
                ),
            });
        }
        if self.widths.len() > u32::MAX as usize {
            return Err(PlanError::Input {
                message: "more than 2^32 - 1 samples in one buffer".into(),
            });
        }
        let mut shapes = Vec::with_capacity(self.widths.len());
        let mut indices = Vec::with_capacity(self.widths.len());
        let mut rejects = Vec::new();
        let mut known = self.known.iter().peekable();
        for (i, (&w, &h)) in self.widths.iter().zip(self.heights).enumerate() {
            if let Some(reject) = known.next_if(|r| r.index == i) {
                rejects.push(reject.clone());
                continue;
            }
            let key_problem = self.keys.and_then(|keys| {
                let k = keys[i];
                (!k.is_finite()).then(|| {
                    Reject::new(
                        i,
                        ErrorCode::InvalidKey,
                        format!("sort key is {k}; the key function must return a finite number"),
                    )
                })
            });
            match Shape::new(i, w, h) {
                Err(reject) => rejects.push(reject),
                Ok(_) if key_problem.is_some() => rejects.extend(key_problem),
                Ok(shape) => {
                    shapes.push(shape);
                    indices.push(i as u32);
                }
            }
        }
        Ok(Checked {
            shapes,
            indices,
            rejects,
        })
    }
}
