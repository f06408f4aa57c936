//! mailsink's tests: the binary started as a process, spoken to over real SMTP connections, and
//! read through its control API.

mod control;
mod faults;
mod smtp;
mod support;
