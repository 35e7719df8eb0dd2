//! The event queue: events ordered by time, then by class (SPEC §3: at one instant,
//! recoveries, then failures, then administrator changes, then client connections), then
//! by insertion sequence, so equal (time, class) pairs pop first-in first-out.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::time::SimDuration;

/// The order of simultaneous events (SPEC §3), lowest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EventClass {
    /// A component comes back (repair, end of an injected outage).
    Recovery = 0,
    /// A component goes down (failure, start of an injected outage).
    Failure = 1,
    /// An administrator's change.
    Administrator = 2,
    /// Clients: noticing, connecting, retrying, signing in.
    Client = 3,
}

struct Scheduled<E> {
    time: SimDuration,
    class: EventClass,
    sequence: u64,
    event: E,
}

impl<E> Scheduled<E> {
    fn key(&self) -> (SimDuration, EventClass, u64) {
        (self.time, self.class, self.sequence)
    }
}

impl<E> PartialEq for Scheduled<E> {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl<E> Eq for Scheduled<E> {}

impl<E> PartialOrd for Scheduled<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<E> Ord for Scheduled<E> {
    /// Reversed, so that the max-heap pops the earliest event.
    fn cmp(&self, other: &Self) -> Ordering {
        other.key().cmp(&self.key())
    }
}

/// A priority queue of events. Its heap keeps its capacity when emptied, so a reused
/// queue allocates nothing per event in steady state.
pub struct EventQueue<E> {
    heap: BinaryHeap<Scheduled<E>>,
    next_sequence: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            next_sequence: 0,
        }
    }
}

impl<E> EventQueue<E> {
    /// Schedules `event` at `time` in `class`.
    pub fn push(&mut self, time: SimDuration, class: EventClass, event: E) {
        let sequence = self.next_sequence;
        self.next_sequence += 1;
        self.heap.push(Scheduled {
            time,
            class,
            sequence,
            event,
        });
    }

    /// Removes and returns the earliest event.
    pub fn pop(&mut self) -> Option<(SimDuration, E)> {
        self.heap.pop().map(|s| (s.time, s.event))
    }

    /// The time of the earliest event.
    pub fn peek_time(&self) -> Option<SimDuration> {
        self.heap.peek().map(|s| s.time)
    }

    /// Empties the queue, keeping its memory, and restarts the sequence.
    pub fn clear(&mut self) {
        self.heap.clear();
        self.next_sequence = 0;
    }

    /// The number of events waiting.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether no event is waiting.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(micros: u64) -> SimDuration {
        SimDuration::from_micros(micros)
    }

    #[test]
    fn earliest_first_then_class_then_insertion_order() {
        let mut queue = EventQueue::default();
        queue.push(t(5), EventClass::Client, "late client");
        queue.push(t(1), EventClass::Client, "client a");
        queue.push(t(1), EventClass::Failure, "failure");
        queue.push(t(1), EventClass::Client, "client b");
        queue.push(t(1), EventClass::Recovery, "recovery");
        queue.push(t(1), EventClass::Administrator, "admin");
        let order: Vec<&str> = std::iter::from_fn(|| queue.pop().map(|(_, e)| e)).collect();
        assert_eq!(
            order,
            [
                "recovery",
                "failure",
                "admin",
                "client a",
                "client b",
                "late client"
            ]
        );
    }

    #[test]
    fn clearing_keeps_nothing_but_memory() {
        let mut queue = EventQueue::default();
        queue.push(t(3), EventClass::Client, 1);
        queue.clear();
        assert!(queue.is_empty());
        queue.push(t(2), EventClass::Client, 2);
        assert_eq!(queue.peek_time(), Some(t(2)));
        assert_eq!(queue.len(), 1);
    }
}
