//! What two commands share, below the commands: generation's inputs gathered (the generator
//! and `register`), the generation pipeline (a request checked, derived and written), a new UDS and saving it, and the board steps (open the port, read
//! the ID, set the UDS), and enrolling certificates in DPS (one by one, or in bulk).

pub(crate) mod board_steps;
pub(crate) mod bulk_enroll;
#[cfg(test)]
mod dps_standin_tests;
pub(crate) mod enroll_step;
pub(crate) mod generation;
pub(crate) mod inputs;
pub(crate) mod new_uds;
