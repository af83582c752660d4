import './base.css';
import './sidebar.css';
import './data.css';
import './checks.css';
