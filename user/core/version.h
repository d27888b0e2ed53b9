/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* bulwark's version: printed by --version and written to the status file. */
#ifndef BULWARK_VERSION_H
#define BULWARK_VERSION_H

#define BULWARK_VERSION "0.1.0"

#endif /* BULWARK_VERSION_H */
