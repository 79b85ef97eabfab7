import { Suspense } from 'react';
import { NavLink, Outlet } from 'react-router';
import { sections } from '../sections';
import { PageFallback, useAuth } from './auth';
import { Icon } from './icons';
import { Badge } from './ui';

const groups = [...new Set(sections.map((s) => s.group))];

/** The shell: the product's sections on the left, the current screen on the right. */
export function Layout() {
  const { me, logout } = useAuth();
  return (
    <div className="shell">
      <aside className="sidebar">
        <div className="sidebar__inner">
        <div className="brand">
          <span className="brand__mark">R</span>
          <span className="brand__name">Retenta</span>
        </div>
        <nav className="nav" aria-label="Sections">
          {groups.map((g) => (
            <div className="nav__group" key={g}>
              <div className="nav__group-title">{g}</div>
              {sections
                .filter((s) => s.group === g)
                .map((s) => (
                  <NavLink key={s.path} to={`/${s.path}`} className={({ isActive }) => `nav__item${isActive ? ' nav__item--active' : ''}`}>
                    <Icon name={s.icon} />
                    <span>{s.label}</span>
                    {!s.page && <span className="nav__soon">soon</span>}
                  </NavLink>
                ))}
            </div>
          ))}
        </nav>
        <div className="sidebar__footer">
          {me && (
            <div className="whoami" title="The token you are signed in with">
              <div className="whoami__name">{me.name}</div>
              <div className="whoami__scopes">
                {me.scopes.map((s) => (
                  <Badge key={s}>{s}</Badge>
                ))}
              </div>
            </div>
          )}
          <button type="button" className="nav__item nav__signout" onClick={logout}>
            <Icon name="logout" />
            <span>Sign out</span>
          </button>
        </div>
        </div>
      </aside>
      <main className="main">
        <Suspense fallback={<PageFallback />}>
          <Outlet />
        </Suspense>
      </main>
    </div>
  );
}
