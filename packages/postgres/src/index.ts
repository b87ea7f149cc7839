// @portcullis/postgres: the Postgres wire listener (a thin adapter over core's Session).
export { type PostgresListener, parseListen, startPostgresListener } from './listener.js';
