//! Reading the data files: CSV, plain or gzip-compressed, with a header row.
//!
//! | file | what it holds |
//! | --- | --- |
//! | `input.rs` | opening a file (gzip by its magic bytes), blocks of whole lines, the header |
//! | `rows.rs` | parsing a block of data rows on any thread; [`StreamLayout`]; joining blocks |
//! | `table.rs` | [`read_table`]: a whole file into a [`crate::data::Table`], parsed in parallel |
//! | `stream.rs` | [`RowStream`]: a file a block of rows at a time, in constant memory |

mod input;
mod rows;
mod stream;
mod table;

pub use rows::StreamLayout;
pub use stream::{RowChunk, RowStream, STREAM_BLOCK_BYTES};
pub use table::read_table;
