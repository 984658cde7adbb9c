pub mod pid;
