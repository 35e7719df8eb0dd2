//! Generic discrete-event machinery with no Lync knowledge: the event queue and the
//! random streams. The model (`crate::model`) supplies the events and the state.

pub mod queue;
pub mod rng;
