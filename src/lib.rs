//! edgesim: a discrete-event, Monte Carlo simulator of Edge pool outages in a multi-site
//! Lync Server 2013 deployment (see SPEC.md and docs/).
//!
//! Data flows one way: [`scenario`] turns a file into a checked [`topology::Scenario`];
//! [`model`] simulates one replication of one layout on the [`engine`]'s event queue and
//! random streams; [`montecarlo`] runs many replications in parallel and folds them into
//! [`stats`]; [`report`] writes the files through [`output`]; [`trace`] shows one
//! replication event by event; [`cli`] is the command line.

#![warn(missing_docs)]

pub mod cli;
pub mod distribution;
pub mod engine;
pub mod model;
pub mod montecarlo;
pub mod output;
pub mod report;
pub mod scenario;
pub mod stats;
pub mod time;
pub mod topology;
pub mod trace;
