//! Stage 1, the firmware: the Arduino build's files (`.bin` + `.map`, or the `.elf`), read,
//! cross-checked, and cut into the two regions the board measures.

pub mod consistency;
pub mod elf_file;
pub mod files;
pub mod input;
pub mod map_file;
pub mod measurement;
pub mod regions;
