import { createRoot } from 'react-dom/client';

function App() {
  return <h1>Fleetmind</h1>;
}

createRoot(document.getElementById('root') as HTMLElement).render(<App />);
