// ascii-launch record: receives a live MPEG-TS stream over TCP and records a session (segments,
// scene frames with an index, ASCII versions of them). See README.md, "Recording".
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

// Runs the record command; argv[0] is "record". Returns the process exit code.
int run_record(int argc, char** argv);
