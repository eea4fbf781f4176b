/**
 * The frame: navigation built from GET /api/modules, the inbox bell, language switch, sign-out; a drawer menu on
 * phones; the critical-value banner above every page while one addressed to the user is not acknowledged.
 */
import { useState, type ReactNode } from 'react';
import { Button, Drawer, Grid, Layout, Menu, Space, Typography } from 'antd';
import {
  AlertOutlined,
  ApartmentOutlined,
  AuditOutlined,
  BellOutlined,
  CarryOutOutlined,
  ExperimentOutlined,
  HeartOutlined,
  HomeOutlined,
  IdcardOutlined,
  MenuOutlined,
  SearchOutlined,
  SwapOutlined,
  TeamOutlined,
  WarningOutlined,
} from '@ant-design/icons';
import { useLocation, useNavigate } from 'react-router-dom';
import { useAuth } from '../auth';
import { useModules } from '../hooks';
import { useI18n } from '../i18n';
import { InboxBell } from '../notify/InboxBell';
import { CriticalValueAlert } from '../critical-values/CriticalValueAlert';

/** Icons a module may name for its nav entries (a small set, so the bundle does not hold every icon). */
const ICONS: Record<string, ReactNode> = {
  AlertOutlined: <AlertOutlined />,
  ApartmentOutlined: <ApartmentOutlined />,
  AuditOutlined: <AuditOutlined />,
  BellOutlined: <BellOutlined />,
  CarryOutOutlined: <CarryOutOutlined />,
  ExperimentOutlined: <ExperimentOutlined />,
  HeartOutlined: <HeartOutlined />,
  HomeOutlined: <HomeOutlined />,
  IdcardOutlined: <IdcardOutlined />,
  SearchOutlined: <SearchOutlined />,
  SwapOutlined: <SwapOutlined />,
  TeamOutlined: <TeamOutlined />,
  WarningOutlined: <WarningOutlined />,
};

const iconOf = (name: string | undefined): ReactNode => (name ? ICONS[name] : null);

export function AppLayout({ children }: { children: ReactNode }) {
  const { t, pick, lang, setLang, roleName } = useI18n();
  const { me, logout } = useAuth();
  const modules = useModules();
  const navigate = useNavigate();
  const location = useLocation();
  const screens = Grid.useBreakpoint();
  const mobile = !screens.md;
  const [open, setOpen] = useState(false);
  const items = (modules.data ?? []).map((m) => ({
    key: m.id,
    type: 'group' as const,
    label: pick(m.name),
    children: m.nav.map((e) => ({ key: e.path, icon: iconOf(e.icon), label: pick(e.label) })),
  }));
  const selected = (modules.data ?? [])
    .flatMap((m) => m.nav.map((e) => e.path))
    .filter((p) => (p === '/' ? location.pathname === '/' : location.pathname.startsWith(p)));
  const menu = (
    <Menu
      mode="inline"
      items={items}
      selectedKeys={selected}
      data-testid="nav"
      onClick={(e) => {
        setOpen(false);
        navigate(e.key);
      }}
    />
  );
  return (
    <Layout style={{ minHeight: '100vh' }}>
      {!mobile && (
        <Layout.Sider theme="light" width={208} style={{ borderRight: '1px solid #f0f0f0' }}>
          <div style={{ padding: 16, fontWeight: 600 }}>{t('appName')}</div>
          {menu}
        </Layout.Sider>
      )}
      <Layout style={{ minWidth: 0 }}>
        <Layout.Header
          style={{
            background: '#fff',
            padding: '0 12px',
            display: 'flex',
            alignItems: 'center',
            gap: 8,
            borderBottom: '1px solid #f0f0f0',
          }}
        >
          {mobile && <Button icon={<MenuOutlined />} aria-label="menu" onClick={() => setOpen(true)} />}
          <Typography.Text strong ellipsis style={{ flex: 1, minWidth: 0 }}>
            {mobile ? '一网' : ''} {me?.username} · {me?.roles.map(roleName).join('、')}
          </Typography.Text>
          <Space size={4}>
            <InboxBell />
            <Button size="small" onClick={() => setLang(lang === 'zh' ? 'en' : 'zh')} data-testid="lang">
              {t('language')}
            </Button>
            <Button size="small" onClick={() => void logout()} data-testid="logout">
              {t('logout')}
            </Button>
          </Space>
        </Layout.Header>
        <CriticalValueAlert />
        <Layout.Content style={{ padding: mobile ? 8 : 16, minWidth: 0 }}>{children}</Layout.Content>
      </Layout>
      {mobile && (
        <Drawer open={open} onClose={() => setOpen(false)} placement="left" width={240} title={t('appName')}>
          {menu}
        </Drawer>
      )}
    </Layout>
  );
}
