//! edgesim: a discrete-event, Monte Carlo simulator of Edge pool outages in a multi-site
//! Lync Server 2013 deployment (see docs/).
//!
//! Data flows one way: [`scenario`] turns a file into a checked [`topology::Scenario`];
//! [`model`] simulates one replication of one layout on the [`engine`]'s event queue and
//! random streams; [`montecarlo`] runs many replications in parallel and folds them into
//! [`stats`]; [`results`] is a study's results, whatever produced them; every output is an
//! exporter of it ([`export`], with the charts in [`plot`]), written through [`output`].
//! A [`study`] is one library call from a scenario to results in memory (with a
//! [`precision`] target, in batches); the [`commands`] (`run`, `merge`, `trace`, [`sweep`],
//! [`diff`]) are drivers over it; [`trace`] shows one replication event by event; [`cli`]
//! is the command line.

#![warn(missing_docs)]

pub mod cli;
pub mod commands;
pub mod diff;
pub mod distribution;
pub mod engine;
pub mod explore;
pub mod export;
pub mod format;
pub mod model;
pub mod montecarlo;
pub mod output;
pub mod plot;
pub mod precision;
pub mod results;
pub mod scenario;
pub mod stats;
pub mod study;
pub mod sweep;
pub mod time;
pub mod topology;
pub mod trace;
pub mod vocabulary;
