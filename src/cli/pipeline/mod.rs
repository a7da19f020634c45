//! What two commands share, below the commands: the generation pipeline (a request checked,
//! derived and written), a new UDS and saving it, and the board steps (open the port, read
//! the ID, set the UDS).

pub(crate) mod board_steps;
pub(crate) mod generation;
pub(crate) mod new_uds;
