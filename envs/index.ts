/**
 * Registers every DoseGym environment. Import this module (for its side effect) before `make()`.
 */
import './classic/register.ts';
import './glucose/register.ts';
import './chemo/register.ts';
