//! Item keys and their slots. Slots are numbered in insertion order; a key is an int or a str, as
//! Python callers give them. An index whose keys were inserted as `0, 1, 2, …` (the common case: rows of a
//! corpus) needs no map from keys to slots at all ([`Keys::Dense`]); the first other key builds one.

use std::collections::HashMap;

use super::index::REMOVED;
use super::LshIndex;

/// A key as Python callers see it: an int or a str.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Key {
    Int(i64),
    Str(String),
}

/// How keys map to slots.
#[derive(Debug, Clone)]
pub(super) enum Keys {
    /// Every key is the int equal to its slot number (keys inserted as `0, 1, 2, …`): no map needed.
    Dense,
    /// Arbitrary keys: the key of each slot (`None` for removed slots) and the slot of each live key.
    Map {
        keys: Vec<Option<Key>>,
        slots: HashMap<Key, u32>,
    },
}

impl LshIndex {
    /// True while every live key is the int equal to its slot number, so `key_of(s)` is `Key::Int(s)`.
    pub fn keys_are_slots(&self) -> bool {
        matches!(self.keys, Keys::Dense)
    }

    pub(super) fn slot_of(&self, key: &Key) -> Option<u32> {
        match &self.keys {
            Keys::Dense => match *key {
                Key::Int(i) => u32::try_from(i)
                    .ok()
                    .filter(|&s| self.slot_row.get(s as usize).is_some_and(|&r| r != REMOVED)),
                Key::Str(_) => None,
            },
            Keys::Map { slots, .. } => slots.get(key).copied(),
        }
    }

    pub fn contains(&self, key: &Key) -> bool {
        self.slot_of(key).is_some()
    }

    /// Records the keys of `n` new slots starting at the current end; keys already validated.
    pub(super) fn push_keys(&mut self, new: Vec<Key>) {
        let base = self.slot_row.len() as i64;
        if matches!(self.keys, Keys::Dense)
            && new
                .iter()
                .enumerate()
                .all(|(i, k)| *k == Key::Int(base + i as i64))
        {
            return;
        }
        if matches!(self.keys, Keys::Dense) {
            let keys: Vec<Option<Key>> = (0..self.slot_row.len())
                .map(|s| (self.slot_row[s] != REMOVED).then_some(Key::Int(s as i64)))
                .collect();
            let slots = keys
                .iter()
                .enumerate()
                .filter_map(|(s, k)| k.clone().map(|k| (k, s as u32)))
                .collect();
            self.keys = Keys::Map { keys, slots };
        }
        if let Keys::Map { keys, slots } = &mut self.keys {
            slots.reserve(new.len());
            keys.reserve(new.len());
            for (i, k) in new.into_iter().enumerate() {
                slots.insert(k.clone(), base as u32 + i as u32);
                keys.push(Some(k));
            }
        }
    }

    /// Key of a live slot.
    pub fn key_of(&self, slot: u32) -> Option<Key> {
        match &self.keys {
            Keys::Dense => (self
                .slot_row
                .get(slot as usize)
                .is_some_and(|&r| r != REMOVED))
            .then_some(Key::Int(slot as i64)),
            Keys::Map { keys, .. } => keys.get(slot as usize).cloned().flatten(),
        }
    }

    /// Slot number of every live key, in insertion order.
    pub fn live_slots(&self) -> Vec<u32> {
        (0..self.slot_row.len() as u32)
            .filter(|&s| self.slot_row[s as usize] != REMOVED)
            .collect()
    }
}
