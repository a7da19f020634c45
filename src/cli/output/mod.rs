//! What the commands put out: files written all-or-nothing, standard output, the report,
//! the next steps and the JSON of a generation, what `-v` prints.

pub(crate) mod destination;
pub(crate) mod extra_outputs;
pub(crate) mod file_set;
pub(crate) mod files;
pub(crate) mod generate_json;
pub(crate) mod next_steps;
pub(crate) mod report;
pub(crate) mod stdout;
pub(crate) mod verbose;
