import './base.css';
import './sidebar.css';
import './data.css';
import './checks.css';
import './runs.css';
import './promote.css';
import './jobs.css';
import './actions.css';
