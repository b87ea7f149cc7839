import { voteCommand } from '../approval-vote.js';

export default voteCommand('deny');
