//! Choosing a layout that holds up across assumptions (docs/output.md, "Assumptions"):
//! from a matrix of losses (layouts × assumptions, lower is better), the layout whose
//! worst case is least (maximin) and the one whose largest regret is least (minimax
//! regret: regret is the loss beyond the best layout under the same assumption), each
//! with the assumption that decides it. Means only: the paired intervals behind each
//! choice are the caller's (layouts under one assumption share random numbers).

/// A layout chosen by one rule, and what decides it.
#[derive(Clone, Debug, PartialEq)]
pub struct Choice {
    /// The layout's row in the matrix.
    pub layout: usize,
    /// Its worst loss (maximin) or its largest regret (minimax regret).
    pub value: f64,
    /// The assumption (column) where that worst loss or largest regret is.
    pub deciding_assumption: usize,
}

/// What a matrix of losses says.
#[derive(Clone, Debug, PartialEq)]
pub struct RobustChoice {
    /// The layout with the least worst-case loss.
    pub best_worst_case: Choice,
    /// The layout with the least maximum regret.
    pub least_regret: Choice,
    /// Per assumption, the layout with the least loss.
    pub best_per_assumption: Vec<usize>,
    /// Whether the best layout differs between assumptions.
    pub depends_on_assumption: bool,
}

/// The robust choice over `losses[layout][assumption]`; `None` for an empty matrix or
/// rows of unequal length. Ties go to the layout listed first (the baseline first).
pub fn choose(losses: &[Vec<f64>]) -> Option<RobustChoice> {
    let assumptions = losses.first()?.len();
    if assumptions == 0 || losses.iter().any(|row| row.len() != assumptions) {
        return None;
    }
    let best_per_assumption: Vec<usize> = (0..assumptions)
        .map(|a| first_min(losses.iter().map(|row| row[a])))
        .collect();
    let worst = |values: &[f64]| -> (f64, usize) {
        let at = first_max(values.iter().copied());
        (values[at], at)
    };
    let worst_cases: Vec<(f64, usize)> = losses.iter().map(|row| worst(row)).collect();
    let regrets: Vec<(f64, usize)> = losses
        .iter()
        .map(|row| {
            let regret: Vec<f64> = (0..assumptions)
                .map(|a| row[a] - losses[best_per_assumption[a]][a])
                .collect();
            worst(&regret)
        })
        .collect();
    let pick = |table: &[(f64, usize)]| {
        let layout = first_min(table.iter().map(|t| t.0));
        Choice {
            layout,
            value: table[layout].0,
            deciding_assumption: table[layout].1,
        }
    };
    Some(RobustChoice {
        best_worst_case: pick(&worst_cases),
        least_regret: pick(&regrets),
        depends_on_assumption: best_per_assumption.windows(2).any(|w| w[0] != w[1]),
        best_per_assumption,
    })
}

/// The index of the first least value.
fn first_min(values: impl Iterator<Item = f64>) -> usize {
    let mut best: Option<(usize, f64)> = None;
    for (i, v) in values.enumerate() {
        if best.is_none_or(|(_, b)| v < b) {
            best = Some((i, v));
        }
    }
    best.map_or(0, |(i, _)| i)
}

/// The index of the first greatest value.
fn first_max(values: impl Iterator<Item = f64>) -> usize {
    first_min(values.map(|v| -v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hand_built_matrix() {
        // Rows: layouts; columns: partners retry, partners never retry, slow administrator.
        // hub-first is best when partners retry and worst when they do not; geo-dns is
        // never the best under an assumption but never far from it.
        let losses = vec![
            vec![2.0, 680.0, 30.0],  // hub-first (the baseline)
            vec![13.0, 14.0, 40.0],  // geo-dns
            vec![600.0, 600.0, 5.0], // equal-priorities
        ];
        let choice = choose(&losses).unwrap();
        assert_eq!(choice.best_per_assumption, vec![0, 1, 2]);
        assert!(choice.depends_on_assumption);
        // Worst cases: 680, 40, 600: geo-dns, decided by the slow administrator.
        assert_eq!(
            choice.best_worst_case,
            Choice {
                layout: 1,
                value: 40.0,
                deciding_assumption: 2
            }
        );
        // Regrets: hub-first (0, 666, 25) → 666; geo-dns (11, 0, 35) → 35;
        // equal-priorities (598, 586, 0) → 598.
        assert_eq!(
            choice.least_regret,
            Choice {
                layout: 1,
                value: 35.0,
                deciding_assumption: 2
            }
        );
    }

    #[test]
    fn the_rules_can_disagree_and_ties_go_to_the_first_listed() {
        // Worst case prefers B (10 against 12); regret prefers A (2 against 7).
        let losses = vec![vec![12.0, 3.0], vec![10.0, 10.0]];
        let choice = choose(&losses).unwrap();
        assert_eq!(choice.best_worst_case.layout, 1);
        assert_eq!(choice.least_regret.layout, 0);
        assert_eq!(choice.least_regret.value, 2.0);
        // One assumption: no dependence; equal losses: the first listed.
        let tie = choose(&[vec![5.0], vec![5.0]]).unwrap();
        assert!(!tie.depends_on_assumption);
        assert_eq!(tie.best_worst_case.layout, 0);
        assert_eq!(tie.least_regret.value, 0.0);
        assert_eq!(choose(&[]), None);
        assert_eq!(choose(&[vec![1.0], vec![1.0, 2.0]]), None);
    }
}
