//! What two commands share, below the commands: the board steps (open the port, read the
//! ID, set the UDS).

pub(crate) mod board_steps;
